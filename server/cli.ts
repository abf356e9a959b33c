#!/usr/bin/env node
/**
 * vankho serve | image add | image rebuild | ingest | reindex | user add|role|list | check-config  (commander). Exit codes: 0 ok, 1 a refused input,
 * 2 bad configuration or usage, 75 our storage is full or read-only (nothing refused: run again later).
 */
import { Command, InvalidArgumentError } from 'commander';
import { buildDeps, createLogger, createStore, openCatalogue, pyramidOptions } from './app.js';
import { loadConfig, type Config } from './config.js';
import { AppError, ConfigError, NotFoundError } from './errors.js';
import { addImage } from './ingest/pyramid.js';
import { storageFault } from './storage/faults.js';
import { rebuildProgress, showProgress } from './ingest/cli-progress.js';
import { rebuildImage, storedImageIds } from './ingest/rebuild.js';
import { readMetadata } from './ingest/metadata.js';
import { planSources } from './ingest/sources.js';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { ROLES, type Role } from './auth/policy.js';
import path from 'node:path';
import { startServer } from './main.js';

function config(overrides: Record<string, unknown> = {}): Config {
  return loadConfig({ overrides });
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is a whole number 0–65535');
  return n;
}

const program = new Command()
  .name('vankho')
  .description('Văn Khố — IIIF digital repository for public libraries')
  .showHelpAfterError();

program
  .command('serve')
  .description('run the HTTP server (IIIF Image API 3.0 and 2.1)')
  .option('-p, --port <port>', 'port to listen on (default: server.port)', port)
  .option('-H, --host <host>', 'address to bind (default: server.host)')
  .option('--no-demo', 'do not prepare the demo images')
  .action(async (o: { port?: number; host?: string; demo: boolean }) => {
    const server: Record<string, unknown> = {};
    if (o.port !== undefined) server.port = o.port;
    if (o.host !== undefined) server.host = o.host;
    await startServer(config({ server, ...(o.demo ? {} : { demo: { enabled: false } }) }));
  });

const image = program.command('image').description('manage stored images');
image
  .command('add')
  .description('add scans: keeps each master and builds its tiled pyramidal TIFF')
  .argument('<files...>', 'TIFF, JPEG, PNG or WebP files')
  .option('--id <id>', 'identifier (one file only; default: from the file name)')
  .option('--replace', 'replace an image already stored under the identifier', false)
  .action(async (files: string[], o: { id?: string; replace: boolean }) => {
    if (o.id && files.length > 1) throw new InvalidArgumentError('--id names one image: give one file');
    const cfg = config();
    const store = createStore(cfg);
    // The catalogue is told of a replacement, so that the pages showing the image take its new size.
    const { db, catalogue } = await openCatalogue(cfg, store, createLogger({ ...cfg, log: { level: 'warn' } }));
    let failed = 0;
    try {
      for (const file of files) {
        try {
          const records = await addImage(store, file, { id: o.id, replace: o.replace, journal: catalogue }, pyramidOptions(cfg));
          for (const r of records) console.log(`added ${r.id} (${r.width}×${r.height}, ${r.levels} levels) from ${file}`);
        } catch (err) {
          // Our disk, not the file: stop here, nothing refused (the images already added stay).
          if (storageFault(err)) throw err;
          if (!(err instanceof AppError)) throw err;
          failed++;
          console.error(`refused ${file}: ${err.publicMessage}`);
        }
      }
    } finally {
      db.close();
    }
    process.exitCode = failed > 0 ? 1 : 0;
  });

image
  .command('rebuild')
  .description('rebuild stored images in the current format (pyramid, pre-rendered sizes, edge tiles); resumable: images already current are skipped')
  .argument('[ids...]', 'identifiers to rebuild (default with --all: every stored image)')
  .option('--all', 'every stored image', false)
  .option('--force', 'rebuild even images that are current', false)
  .action(async (ids: string[], o: { all: boolean; force: boolean }) => {
    if (ids.length === 0 && !o.all) throw new InvalidArgumentError('name images to rebuild, or give --all');
    const cfg = config();
    const store = createStore(cfg);
    const todo = ids.length > 0 ? ids : await storedImageIds(store);
    console.error(`storage ${path.resolve(cfg.storage.root)}: ${todo.length} image(s); tiles ${cfg.image.tileSize} px, quality ${cfg.image.pyramidQuality}`);
    if (todo.length === 0) {
      console.error('no images here: is storage.root (VANKHO_STORAGE_ROOT, VANKHO_CONFIG) the right one?');
      process.exitCode = 1;
      return;
    }
    // The catalogue's journal keeps a rebuild and a replacement of the same image apart.
    const { db, catalogue } = await openCatalogue(cfg, store, createLogger({ ...cfg, log: { level: 'warn' } }));
    const progress = rebuildProgress(todo.length, Boolean(process.stdout.isTTY));
    const counts = { rebuilt: 0, current: 0, failed: 0 };
    const failures: string[] = [];
    try {
      for (const id of todo) {
        try {
          const r = await rebuildImage(store, id, pyramidOptions(cfg), o.force, catalogue);
          counts[r.outcome]++;
          progress.done(id, r.outcome === 'rebuilt' ? `rebuilt from the ${r.from}` : 'already current');
        } catch (err) {
          // A full or read-only disk (or one we may not write to) stops the run; anything else fails this image and the run goes on.
          if (storageFault(err) || ['EACCES', 'EPERM'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
          const why = err instanceof AppError ? err.publicMessage : `${(err as Error).message ?? err}`;
          counts.failed++;
          failures.push(`${id}: ${why}`);
          progress.done(id, `failed: ${why}`);
        }
      }
    } finally {
      progress.stop();
      db.close();
    }
    for (const f of failures) console.error(`not rebuilt ${f}`);
    console.log(`${counts.rebuilt} rebuilt, ${counts.current} already current, ${counts.failed} failed`);
    process.exitCode = counts.failed > 0 ? 1 : 0;
  });

program
  .command('ingest')
  .description('ingest scans: a folder of page images (one item), a folder of folders (one item each), a multi-page TIFF or a PDF')
  .argument('[path]', 'what to ingest (omit with --resume)')
  .option('-c, --collection <id>', 'collection the new items go into')
  .option('-m, --metadata <file>', 'item descriptions: CSV (one row per item) or JSON')
  .option('--resume', 'only resume unfinished jobs (after a crash or a kill)', false)
  .action(async (input: string | undefined, o: { collection?: string; metadata?: string; resume: boolean }) => {
    if (!o.resume && (!input || !o.collection)) throw new InvalidArgumentError('give a path and --collection (or --resume)');
    const cfg = config();
    const deps = await buildDeps(cfg, createLogger({ ...cfg, log: { level: 'warn' } }));
    try {
      const jobIds = deps.jobs.resumable();
      if (input && o.collection) {
        await deps.catalogue.getCollection(o.collection);
        const source = path.resolve(input);
        if (!existsSync(source)) throw new NotFoundError(`${input}: no such file or folder`);
        const metadata = o.metadata ? { items: await readMetadata(o.metadata) } : null;
        const existing = deps.jobs.findUnfinished(source, o.collection);
        if (!existing) jobIds.push(deps.jobs.create(source, o.collection, metadata));
      }
      let failed = 0;
      let paused = 0;
      for (const id of [...new Set(jobIds)]) {
        const planned = await planSources(deps.jobs.job(id)!.source, { maxPdfPages: cfg.ingest.maxPdfPages }).catch(() => []);
        const stop = showProgress(deps.ingest, { items: planned.length, pages: planned.reduce((n, p) => n + p.pages.length, 0) }, Boolean(process.stdout.isTTY));
        try {
          if (!(await deps.ingest.run(id))) console.error(`job ${id} is being run by another process`);
        } finally {
          stop();
        }
        const status = deps.jobs.status(id)!;
        console.log(`job ${id}: ${status.state}${status.error ? ` — ${status.error}` : ''}`);
        for (const item of status.items) {
          console.log(`  ${item.itemId}: ${item.state}${item.message ? ` — ${item.message}` : ''}`);
          for (const p of item.pages.filter((p) => p.stage === 'rejected')) console.log(`    page ${p.position} refused: ${p.message}`);
          if (item.state === 'failed' || item.state === 'partial') failed++;
        }
        if (status.state === 'failed') failed++;
        if (status.state === 'paused') {
          paused++;
          console.error(`job ${id} paused, nothing refused or lost: free space (or make storage writable), then run \`vankho ingest --resume\``);
        }
      }
      // 75 (EX_TEMPFAIL): try again later; 1: an input was refused.
      process.exitCode = paused > 0 ? 75 : failed > 0 ? 1 : 0;
    } finally {
      deps.close();
    }
  });

/** A password from a file, from piped stdin, or typed at a prompt that does not echo it. */
async function readPassword(file: string | undefined): Promise<string> {
  if (file) return (await readFile(file, 'utf8')).split(/\r?\n/)[0] ?? '';
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  if (!process.stdin.isTTY) {
    for await (const line of rl) {
      rl.close();
      return line;
    }
    return '';
  }
  const muted = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WriteStream };
  process.stdout.write('password (10 characters or more): ');
  muted._writeToOutput = () => {};
  const answer = await new Promise<string>((resolve) => rl.question('', resolve));
  rl.close();
  process.stdout.write('\n');
  return answer;
}

const roleList = (roles: string[]) => {
  const bad = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (bad.length > 0 || roles.length === 0) throw new InvalidArgumentError(`roles are ${ROLES.join(', ')}`);
  return roles as Role[];
};

const user = program.command('user').description('local accounts of the embedded sign-in (the first administrator, staff)');
user
  .command('add')
  .description('create or replace a local account (verified), e.g. the first administrator')
  .argument('<email>')
  .requiredOption('--name <name>', 'the person’s name')
  .option('--role <roles...>', `roles: ${ROLES.join(', ')}`, ['reader'])
  .option('--library <id>', 'the library a librarian is staff of')
  .option('--password-file <file>', 'read the password from the first line of this file (else stdin or a prompt)')
  .action(async (email: string, o: { name: string; role: string[]; library?: string; passwordFile?: string }) => {
    const roles = roleList(o.role);
    if (roles.includes('librarian') && !o.library) throw new InvalidArgumentError('a librarian is staff of one library: give --library');
    const cfg = config();
    const deps = await buildDeps(cfg, createLogger({ ...cfg, log: { level: 'warn' } }));
    try {
      if (o.library) await deps.catalogue.getLibrary(o.library);
      const a = await deps.auth.accounts.upsert(email, o.name, await readPassword(o.passwordFile), roles, o.library ?? null);
      console.log(`${a.email}: ${a.roles.join(', ')}${a.library ? ` (library ${a.library})` : ''}`);
    } finally {
      deps.close();
    }
  });
user
  .command('role')
  .description('set the roles of an account')
  .argument('<email>')
  .argument('<roles...>', `roles: ${ROLES.join(', ')}`)
  .option('--library <id>', 'the library a librarian is staff of')
  .action(async (email: string, roles: string[], o: { library?: string }) => {
    const cfg = config();
    const deps = await buildDeps(cfg, createLogger({ ...cfg, log: { level: 'warn' } }));
    try {
      if (o.library) await deps.catalogue.getLibrary(o.library);
      const a = deps.auth.accounts.setRoles(email, roleList(roles), o.library ?? null);
      console.log(`${a.email}: ${a.roles.join(', ')}${a.library ? ` (library ${a.library})` : ''}`);
    } finally {
      deps.close();
    }
  });
user
  .command('list')
  .description('list local accounts')
  .action(async () => {
    const cfg = config();
    const deps = await buildDeps(cfg, createLogger({ ...cfg, log: { level: 'warn' } }));
    try {
      for (const a of deps.auth.accounts.list()) console.log(`${a.email}\t${a.name}\t${a.roles.join(',')}\t${a.library ?? ''}\t${a.emailVerified ? 'verified' : 'unverified'}`);
    } finally {
      deps.close();
    }
  });

program
  .command('reindex')
  .description('rebuild the search index (embedded, or Elasticsearch when search.elasticsearch.url is set) from the catalogue and the stored OCR; searches keep answering from the old index until the new one is complete')
  .action(async () => {
    const cfg = config({ log: { level: 'warn' } });
    const deps = await buildDeps(cfg);
    try {
      const started = Date.now();
      let progress: ReturnType<typeof rebuildProgress> | null = null;
      const counts = await deps.archive.indexer.rebuild((done, total, id) => {
        progress ??= rebuildProgress(total, Boolean(process.stdout.isTTY), 'Tài liệu / items');
        progress.done(id, 'indexed');
      });
      (progress as ReturnType<typeof rebuildProgress> | null)?.stop();
      console.log(`search index rebuilt: ${counts.records} item(s), ${counts.pages} page(s) with text, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } finally {
      deps.close();
    }
  });

program
  .command('check-config')
  .description('validate configuration (config/default.json, VANKHO_CONFIG, VANKHO_* variables) and print it')
  .action(() => {
    console.log(JSON.stringify(config(), null, 2));
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  const fault = storageFault(err);
  if (fault) {
    console.error(`stopped: ${fault.publicMessage}`);
    process.exit(75);
  }
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  if (err instanceof InvalidArgumentError) {
    console.error(`error: ${err.message}`);
    process.exit(2);
  }
  if (err instanceof AppError) {
    console.error(`error: ${err.publicMessage}`);
    process.exit(err.status === 404 || err.status === 400 ? 2 : 1);
  }
  console.error(err);
  process.exit(1);
});
