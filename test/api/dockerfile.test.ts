/**
 * The Dockerfile and docker-compose.yml, checked without a container engine (none runs on the
 * development machines). Read with dockerfile-ast and yaml, then rehearsed: the build stage's COPY
 * inputs — exactly those, filtered by .dockerignore — go into an empty folder where the stage's npm
 * steps run (`npm ci`, `npm run build`, `npm prune`); the runtime stage is assembled the same way from
 * the context and the build folder, and its CMD serves, answering the image's own HEALTHCHECK.
 *
 * What the rehearsal cannot do: run apt-get (the host's Tesseract, poppler and compilers stand in;
 * the package lists are checked by reading) or switch users (USER is checked by reading).
 *
 * Cost: `npm ci` in a fresh folder, mostly compiling better-sqlite3 where its prebuilt download is
 * blocked; it uses the npm cache (prefer-offline). Run alone:
 *   npx mocha test/api/dockerfile.test.ts   (.mocharc.cjs loads tsx)
 */
import { describe, it, before, after } from 'mocha';
import { assert } from 'chai';
import { DockerfileParser, type Copy, type Env, type Healthcheck, type Instruction, type JSONInstruction } from 'dockerfile-ast';
import { parseDocument } from 'yaml';
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig, projectRoot, type Config } from '../../server/config.js';

const run = promisify(execFile);
const read = (rel: string) => readFileSync(path.join(projectRoot, rel), 'utf8');

// ---------------------------------------------------------------------------------------------------
// The Dockerfile as stages

interface Stage {
  name: string | null;
  base: string;
  instructions: Instruction[];
}

function parseStages(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const ins of DockerfileParser.parse(text).getInstructions()) {
    if (ins.getKeyword() === 'FROM') {
      const args = ins.getArguments().map((a) => a.getValue());
      stages.push({ name: args[2] ?? null, base: args[0]!, instructions: [] });
    } else {
      assert.isNotEmpty(stages, `${ins.getKeyword()} before any FROM`);
      stages.at(-1)!.instructions.push(ins);
    }
  }
  return stages;
}

const ofKind = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.getKeyword() === keyword);

function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of ofKind(stage, 'ENV') as Env[]) for (const p of e.getProperties()) env[p.getName()] = p.getUnescapedValue() ?? '';
  return env;
}

/** Exec-form arguments (`["a", "b"]`), or the shell form run by /bin/sh -c. */
function commandOf(raw: string): string[] {
  const text = raw.replace(/\\\r?\n/g, ' ').trim();
  if (text.startsWith('[')) return JSON.parse(text) as string[];
  return ['/bin/sh', '-c', text];
}

interface CopyStep {
  from: string | null;
  sources: string[];
  dest: string;
}

function copyStep(ins: Copy): CopyStep {
  const json = (ins as JSONInstruction).getJSONStrings().map((s) => s.getJSONValue());
  const args = json.length > 0 ? json : ins.getArguments().map((a) => a.getValue());
  assert.isAtLeast(args.length, 2, `COPY needs a source and a destination: ${ins.toString()}`);
  const unsupported = ins.getFlags().filter((f) => !['from', 'chown', 'chmod'].includes(f.getName()));
  assert.isEmpty(unsupported.map(String), 'COPY flags the rehearsal does not know');
  return { from: ins.getFromFlag()?.getValue() ?? null, sources: args.slice(0, -1), dest: args.at(-1)! };
}

/** `apt-get install` package names in a stage's RUN lines. */
function aptInstalls(stage: Stage): string[] {
  return ofKind(stage, 'RUN').flatMap((r) =>
    (r.getArgumentsContent() ?? '').split(/&&|;|\|\|/).flatMap((part) => {
      const words = part.trim().split(/\s+/);
      return words[0] === 'apt-get' && words.includes('install') ? words.slice(words.indexOf('install') + 1).filter((w) => !w.startsWith('-')) : [];
    }),
  );
}

// ---------------------------------------------------------------------------------------------------
// The build context: .dockerignore (Docker's rules: patterns from the context root, `**`, `!`
// exceptions, the last matching line wins, a matching folder excludes what is inside).

function globRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else re += '.*';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function dockerignore(): (rel: string) => boolean {
  const file = path.join(projectRoot, '.dockerignore');
  const rules = (existsSync(file) ? readFileSync(file, 'utf8') : '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const p = path.posix.normalize((negate ? l.slice(1) : l).trim()).replace(/^\/+/, '').replace(/\/+$/, '');
      return { negate, re: globRegex(p) };
    });
  return (rel) => {
    const parts = rel.split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let ignored = false;
    for (const r of rules) if (prefixes.some((p) => r.re.test(p))) ignored = !r.negate;
    return ignored;
  };
}

/** Every file of the build context (relative, posix), as Docker would send it. */
function contextFiles(): string[] {
  const ignored = dockerignore();
  // Excluded folders are not walked unless an exception (`!`) could bring something back.
  const exceptions = existsSync(path.join(projectRoot, '.dockerignore')) && /^\s*!/m.test(read('.dockerignore'));
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(projectRoot, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (exceptions || !ignored(r)) walk(r);
      } else if (!ignored(r)) out.push(r);
    }
  };
  walk('');
  return out.sort();
}

// ---------------------------------------------------------------------------------------------------
// Rehearsing a stage in a folder that stands for the container's `/`

interface Rehearsal {
  /** Container paths (/app/...) → host paths. */
  root: string;
  workdir: string;
  env: Record<string, string>;
  /** Container paths of the files COPY put there from the context, and from where. */
  copied: Map<string, string>;
}

const host = (r: Rehearsal, containerPath: string) => path.join(r.root, containerPath);
const inContainer = (r: Rehearsal, p: string) => (path.posix.isAbsolute(p) ? p : path.posix.join(r.workdir, p));

/** Docker's COPY: a folder's contents go into the destination; files keep their names under a `dir/`. */
function applyCopy(r: Rehearsal, step: CopyStep, context: string[], stages: Map<string, Rehearsal>): void {
  const multi = step.sources.length > 1 || step.sources.some((s) => /[*?[]/.test(s));
  const destDir = step.dest.endsWith('/') || multi;
  const dest = inContainer(r, step.dest);
  for (const source of step.sources) {
    if (step.from) {
      const from = stages.get(step.from);
      assert.exists(from, `COPY --from=${step.from}: no such stage rehearsed`);
      const src = host(from!, inContainer(from!, source));
      assert.isTrue(existsSync(src), `COPY --from=${step.from} ${source}: stage ${step.from} has no ${source}`);
      const target = statSync(src).isDirectory() || !destDir ? dest : path.posix.join(dest, path.posix.basename(source));
      mkdirSync(path.dirname(host(r, target)), { recursive: true });
      cpSync(src, host(r, target), { recursive: true, verbatimSymlinks: true });
      continue;
    }
    const pattern = globRegex(path.posix.normalize(source).replace(/^\.\//, '').replace(/\/+$/, ''));
    const isFolder = (f: string) => [...f.split('/').keys()].some((i) => i > 0 && pattern.test(f.split('/').slice(0, i).join('/')));
    const files = context.filter((f) => pattern.test(f));
    const inFolders = context.filter((f) => !pattern.test(f) && isFolder(f));
    assert.isNotEmpty([...files, ...inFolders], `COPY ${source}: nothing in the build context (missing, or excluded by .dockerignore)`);
    for (const f of files) {
      const target = destDir ? path.posix.join(dest, path.posix.basename(f)) : dest;
      mkdirSync(path.dirname(host(r, target)), { recursive: true });
      cpSync(path.join(projectRoot, f), host(r, target));
      r.copied.set(target, f);
    }
    for (const f of inFolders) {
      const base = f.split('/').findIndex((_, i, parts) => pattern.test(parts.slice(0, i + 1).join('/')));
      const target = path.posix.join(dest, ...f.split('/').slice(base + 1));
      mkdirSync(path.dirname(host(r, target)), { recursive: true });
      cpSync(path.join(projectRoot, f), host(r, target));
      r.copied.set(target, f);
    }
  }
}

/** RUN parts the rehearsal does not run, because the host stands in for them. Anything else unknown fails. */
const SYSTEM_STEP = [/^apt-get (update|install)\b/, /^rm -rf \/var\/lib\/apt\/lists\/\*$/, /^mkdir -p \/[\w/.-]+$/, /^chown [\w:.-]+ \/[\w/.-]+$/];

async function runStep(r: Rehearsal, command: string, log: string[]): Promise<void> {
  const started = Date.now();
  const child = spawn('/bin/sh', ['-c', command], {
    cwd: host(r, r.workdir),
    // JOBS: node-gyp compiles better-sqlite3 (no prebuilt download here) on every core; the commands are unchanged.
    env: { ...hostEnv(), ...r.env, npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false', JOBS: 'max' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  log.push(`$ ${command}  (${((Date.now() - started) / 1000).toFixed(1)} s, exit ${code})`);
  assert.strictEqual(code, 0, `RUN ${command} failed (exit ${code}):\n${out.slice(-4000)}`);
}

async function rehearse(stage: Stage, root: string, context: string[], stages: Map<string, Rehearsal>, runNpm: boolean, log: string[]): Promise<Rehearsal> {
  const r: Rehearsal = { root, workdir: '/', env: {}, copied: new Map() };
  mkdirSync(root, { recursive: true });
  for (const ins of stage.instructions) {
    switch (ins.getKeyword()) {
      case 'WORKDIR':
        r.workdir = inContainer(r, ins.getArguments()[0]!.getValue());
        mkdirSync(host(r, r.workdir), { recursive: true });
        break;
      case 'ENV':
        Object.assign(r.env, stageEnv({ ...stage, instructions: [ins] }));
        break;
      case 'COPY':
        applyCopy(r, copyStep(ins as Copy), context, stages);
        break;
      case 'ADD':
        assert.fail(`ADD is not rehearsed; use COPY: ${ins.toString()}`);
        break;
      case 'RUN':
        for (const part of (ins.getArgumentsContent() ?? '').split('&&').map((p) => p.trim().replace(/\s+/g, ' '))) {
          if (/^npm /.test(part)) {
            if (runNpm) await runStep(r, part, log);
          } else {
            assert.isTrue(
              SYSTEM_STEP.some((re) => re.test(part)),
              `RUN step "${part}" is neither npm nor a known system step: teach test/api/dockerfile.test.ts what it does`,
            );
            log.push(`(not rehearsed) ${part}`);
          }
        }
        break;
      default:
        break;
    }
  }
  return r;
}

/** The test runner's environment without settings that would leak into the rehearsed image. */
function hostEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('VANKHO_') || k === 'NODE_ENV' || k.startsWith('npm_')) continue;
    env[k] = v;
  }
  return env;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------------

const stages = parseStages(read('Dockerfile'));
const final = stages.at(-1)!;
const imageEnv = stageEnv(final);
const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; dependencies: Record<string, string> };

describe('Dockerfile, as written', function () {
  this.timeout(60_000);
  it('has a build stage and a separate runtime stage on Node 20', () => {
    assert.isAtLeast(stages.length, 2, 'a build stage and a runtime stage');
    for (const s of stages) assert.match(s.base, /^node:20[.-]/, `FROM ${s.base}`);
    const fromBuild = ofKind(final, 'COPY').map((c) => copyStep(c as Copy).from).filter(Boolean);
    assert.isNotEmpty(fromBuild, 'the runtime stage copies from the build stage');
  });

  it('takes from the context only what exists and is not excluded by .dockerignore', () => {
    const context = new Set(contextFiles());
    for (const s of stages) {
      for (const c of ofKind(s, 'COPY').map((c) => copyStep(c as Copy)).filter((c) => !c.from)) {
        for (const src of c.sources) {
          const re = globRegex(path.posix.normalize(src).replace(/\/+$/, ''));
          const hit = [...context].some((f) => f.split('/').some((_, i, parts) => re.test(parts.slice(0, i + 1).join('/'))));
          assert.isTrue(hit, `COPY ${src}: not in the build context`);
        }
      }
    }
  });

  it('.dockerignore keeps the host’s dependencies, builds, data and history out of the context', () => {
    const ignored = dockerignore();
    for (const p of ['node_modules/koa/package.json', 'viewer/node_modules/x', 'dist/server/cli.js', 'viewer/dist/reading-room.js', 'storage/catalogue.sqlite', '.git/HEAD']) {
      assert.isTrue(ignored(p), `${p} would be sent to the build`);
    }
    for (const p of ['package-lock.json', 'server/cli.ts', 'viewer/src/reading-room.js', 'config/default.json', 'manifests/demo/catalogue.json']) {
      assert.isFalse(ignored(p), `${p} is excluded but the image needs it`);
    }
  });

  it('copies into the build stage every file `npm run build` reads outside node_modules', async () => {
    const build = stages.find((s) => s.name === 'build') ?? stages[0]!;
    const copied = new Set<string>();
    const workdir = ofKind(build, 'WORKDIR').at(-1)?.getArguments()[0]?.getValue() ?? '/';
    const context = contextFiles();
    for (const c of ofKind(build, 'COPY').map((c) => copyStep(c as Copy))) {
      for (const src of c.sources) {
        const re = globRegex(path.posix.normalize(src).replace(/\/+$/, ''));
        for (const f of context) if (f.split('/').some((_, i, parts) => re.test(parts.slice(0, i + 1).join('/')))) copied.add(f);
      }
    }
    assert.strictEqual(workdir, '/app');
    // Files named by the build script: `tsc -p <tsconfig>` (and the tsconfigs it extends), `node <script>`.
    const needed = new Set(['package.json', 'package-lock.json']);
    const tsconfigs: string[] = [];
    for (const cmd of pkg.scripts.build!.split('&&').map((c) => c.trim().split(/\s+/))) {
      if (cmd[0] === 'tsc') tsconfigs.push(cmd[cmd.indexOf('-p') + 1]!);
      if (cmd[0] === 'node') needed.add(cmd[1]!);
    }
    for (let i = 0; i < tsconfigs.length; i++) {
      needed.add(tsconfigs[i]!);
      const ext = (JSON.parse(read(tsconfigs[i]!)) as { extends?: string }).extends;
      if (ext) tsconfigs.push(path.posix.normalize(path.posix.join(path.posix.dirname(tsconfigs[i]!), ext)));
    }
    // What tsc compiles: its own list of input files.
    const tsc = path.join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const t of tsconfigs.slice(0, 1)) {
      const { stdout } = await run(process.execPath, [tsc, '--listFilesOnly', '-p', t], { cwd: projectRoot, maxBuffer: 16 << 20 });
      for (const f of stdout.split('\n').filter(Boolean)) {
        const rel = path.relative(projectRoot, f).split(path.sep).join('/');
        if (!rel.startsWith('..') && !rel.startsWith('node_modules/')) needed.add(rel);
      }
    }
    const missing = [...needed].filter((f) => !copied.has(f));
    assert.deepEqual(missing, [], 'read by `npm run build` but not copied into the build stage');
  });

  it('runs as a non-root user that owns the storage root, and nothing else', () => {
    const users = ofKind(final, 'USER').map((u) => u.getArguments()[0]?.getValue() ?? '');
    assert.isNotEmpty(users, 'the runtime stage sets USER');
    const user = users.at(-1)!.split(':')[0]!;
    assert.notInclude(['root', '0', ''], user, 'the final USER is root');
    const userLine = ofKind(final, 'USER').at(-1)!.getRange().start.line;
    for (const k of ['CMD', 'ENTRYPOINT', 'HEALTHCHECK']) {
      for (const i of ofKind(final, k)) assert.isAbove(i.getRange().start.line, userLine, `${k} comes before USER`);
    }
    const storage = imageEnv.VANKHO_STORAGE_ROOT;
    assert.isString(storage, 'the image sets VANKHO_STORAGE_ROOT');
    assert.isTrue(path.posix.isAbsolute(storage!), 'storage root is an absolute path in the image');
    const chowns = ofKind(final, 'RUN').map((r) => r.getArgumentsContent() ?? '').filter((c) => new RegExp(`chown (-R )?${user}(:\\w+)? ${storage}\\b`).test(c));
    assert.isNotEmpty(chowns, `${storage} is owned by ${user}`);
    const volumes = ofKind(final, 'VOLUME').flatMap((v) => v.getArguments().map((a) => a.getValue().replace(/[[\]",]/g, '')));
    assert.include(volumes, storage, 'the storage root is a volume');
    for (const c of ofKind(final, 'COPY').map((c) => copyStep(c as Copy))) {
      assert.notMatch(c.dest, new RegExp(`^${storage}`), 'nothing is copied over the data volume');
    }
  });

  it('checks liveness on /healthz', () => {
    const checks = ofKind(final, 'HEALTHCHECK') as Healthcheck[];
    assert.lengthOf(checks, 1, 'one HEALTHCHECK in the runtime stage');
    const hc = checks[0]!;
    assert.strictEqual(hc.getSubcommand()?.getValue(), 'CMD');
    const raw = hc.getRawArgumentsContent() ?? '';
    assert.include(raw, '/healthz');
    assert.notMatch(raw, /\bcurl\b|\bwget\b/, 'slim images have neither curl nor wget');
    const flags = Object.fromEntries(hc.getFlags().map((f) => [f.getName(), f.getValue()]));
    assert.property(flags, 'start-period', 'a start period covers the demo being prepared before the server listens');
  });

  it('keeps the environment the server runs with, and that environment is a valid configuration', () => {
    assert.strictEqual(imageEnv.MALLOC_ARENA_MAX, '2');
    assert.strictEqual(imageEnv.NODE_ENV, 'production');
    assert.strictEqual(imageEnv.VANKHO_SERVER_HOST, '0.0.0.0', 'reachable from outside the container');
    const config = loadConfig({ env: imageEnv });
    const exposed = ofKind(final, 'EXPOSE').flatMap((e) => e.getArguments().map((a) => Number(a.getValue().split('/')[0])));
    assert.include(exposed, config.server.port);
    const cmd = commandOf((ofKind(final, 'CMD').at(-1)?.getRawArgumentsContent() ?? '').replace(/^\s*/, ''));
    assert.deepEqual(cmd.slice(-2), ['dist/server/cli.js', 'serve']);
  });

  it('installs what in-server ingest runs: Tesseract with the README’s models, poppler', () => {
    const installed = aptInstalls(final);
    // The README's apt-get line names the OCR models; the image carries the same.
    const readmeApt = /apt-get install -y ([^\n]+)/.exec(read('README.md'))![1]!.split(/\s+/);
    const ocr = readmeApt.filter((p) => p.startsWith('tesseract-ocr'));
    assert.includeMembers(ocr, ['tesseract-ocr', 'tesseract-ocr-vie', 'tesseract-ocr-chi-tra', 'tesseract-ocr-chi-tra-vert', 'tesseract-ocr-eng']);
    assert.includeMembers(installed, [...ocr, 'poppler-utils'], 'runtime apt-get install');
    // ClamAV only when the image's configuration screens uploads (off by default).
    const config: Config = loadConfig({ env: imageEnv });
    if (config.ingest.malwareScan.enabled) assert.include(installed, 'clamav');
    const build = stages.find((s) => s.name === 'build') ?? stages[0]!;
    assert.notIncludeMembers(aptInstalls(build), ['tesseract-ocr'], 'OCR belongs in the runtime stage');
  });
});

describe('docker-compose.yml', () => {
  const doc = parseDocument(read('docker-compose.yml'));
  const compose = doc.toJS() as {
    services: Record<string, Record<string, unknown>>;
    volumes?: Record<string, unknown>;
    networks?: Record<string, unknown>;
  };

  it('parses', () => {
    assert.deepEqual(doc.errors.map(String), []);
    assert.deepEqual(doc.warnings.map(String), []);
    assert.isObject(compose.services);
    for (const k of Object.keys(compose)) assert.match(k, /^(services|volumes|networks|configs|secrets|name|x-.*)$/, `top-level key ${k}`);
  });

  it('references only services, volumes and networks it defines', () => {
    const services = Object.keys(compose.services);
    for (const [name, s] of Object.entries(compose.services)) {
      const deps = s.depends_on === undefined ? [] : Array.isArray(s.depends_on) ? (s.depends_on as string[]) : Object.keys(s.depends_on as object);
      for (const d of deps) assert.include(services, d, `${name} depends_on ${d}`);
      for (const v of (s.volumes as (string | { type?: string; source?: string })[] | undefined) ?? []) {
        const source = typeof v === 'string' ? v.split(':')[0]! : v.type === 'volume' ? (v.source ?? '') : '';
        if (source && !/^[./~]/.test(source)) assert.property(compose.volumes ?? {}, source, `${name} mounts volume ${source}`);
      }
      const nets = s.networks === undefined ? [] : Array.isArray(s.networks) ? (s.networks as string[]) : Object.keys(s.networks as object);
      for (const n of nets) assert.property(compose.networks ?? {}, n, `${name} joins network ${n}`);
      if (s.build !== undefined) {
        const b = s.build as string | { context?: string; dockerfile?: string };
        const ctx = typeof b === 'string' ? b : (b.context ?? '.');
        const file = typeof b === 'string' ? 'Dockerfile' : (b.dockerfile ?? 'Dockerfile');
        assert.isTrue(existsSync(path.join(projectRoot, ctx, file)), `${name} builds ${ctx}/${file}`);
      } else assert.isString(s.image, `${name} has an image or a build`);
    }
  });

  it('sets only environment variables the configuration accepts, on the image built here', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      const raw = s.environment ?? {};
      const env: Record<string, string> = Array.isArray(raw)
        ? Object.fromEntries((raw as string[]).map((e) => [e.split('=')[0]!, e.split('=').slice(1).join('=')]))
        : Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k, v === null ? '' : String(v)]));
      for (const v of Object.values(env)) assert.notInclude(v, '${', `${name}: interpolation is not checked here`);
      if (s.build === undefined) continue;
      let config: Config;
      try {
        config = loadConfig({ env: { ...imageEnv, ...env } });
      } catch (err) {
        assert.fail(`${name}: the configuration refuses its environment:\n${(err as Error).message}`);
      }
      const mounts = ((s.volumes as (string | { target?: string })[] | undefined) ?? []).map((v) => (typeof v === 'string' ? v.split(':')[1] : v.target));
      assert.include(mounts, config.storage.root, `${name}: the storage root (${config.storage.root}) is on a volume`);
      const ports = ((s.ports as string[] | undefined) ?? []).map((p) => Number(String(p).split(':').at(-1)!.split('/')[0]));
      assert.include(ports, config.server.port, `${name} publishes the server's port`);
      // server.trustProxy is a list of proxy addresses now (empty: none trusted).
      if (config.server.trustProxy.length > 0) {
        for (const p of (s.ports as string[] | undefined) ?? []) assert.match(String(p), /^127\.0\.0\.1:/, `${name} trusts X-Forwarded-*: publish on loopback only`);
      }
      if (config.ingest.malwareScan.enabled) assert.include(aptInstalls(final), 'clamav', `${name} screens uploads: the image needs ClamAV`);
      const hc = s.healthcheck as { test?: string[] | string } | undefined;
      assert.exists(hc, `${name} has a healthcheck`);
      assert.include(JSON.stringify(hc!.test), `:${config.server.port}/healthz`, `${name} healthcheck hits /healthz on the server's port`);
    }
  });
});

describe('the image, rehearsed in empty folders', function () {
  this.timeout(20 * 60_000);
  let tmp = '';
  const log: string[] = [];
  const rehearsed = new Map<string, Rehearsal>();

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'vankho-docker-'));
  });
  after(async () => {
    if (log.length) console.log(`      ${log.join('\n      ')}`);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('the build stage, from its COPY inputs alone, runs npm ci and npm run build', async () => {
    const context = contextFiles();
    const started = Date.now();
    for (const [i, s] of stages.slice(0, -1).entries()) {
      rehearsed.set(s.name ?? String(i), await rehearse(s, path.join(tmp, s.name ?? String(i)), context, rehearsed, true, log));
    }
    log.push(`build stage: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    const build = rehearsed.get('build')!;
    assert.exists(build, 'a stage named build');
    for (const f of ['dist/server/cli.js', 'viewer/dist/reading-room.js']) {
      assert.isTrue(existsSync(host(build, path.posix.join(build.workdir, f))), `the build produced ${f}`);
    }
    assert.sameMembers([...build.copied.values()].filter((f) => f.startsWith('node_modules/') || f.startsWith('dist/')), [], 'host builds leaked in');
  });

  it('the runtime stage holds what `serve` reads, with production dependencies only', async function () {
    if (!rehearsed.has('build')) this.skip();
    const runtime = await rehearse(final, path.join(tmp, 'runtime'), contextFiles(), rehearsed, true, log);
    rehearsed.set('runtime', runtime);
    const at = (f: string) => host(runtime, path.posix.join(runtime.workdir, f));
    for (const f of ['package.json', 'dist/server/cli.js', 'viewer/dist/reading-room.js', 'config/default.json', 'manifests/demo/catalogue.json', 'data/han/han-table.tsv', 'node_modules/better-sqlite3/package.json', 'node_modules/sharp/package.json']) {
      assert.isTrue(existsSync(at(f)), `runtime has ${f}`);
    }
    const type = (JSON.parse(readFileSync(at('package.json'), 'utf8')) as { type?: string }).type;
    assert.strictEqual(type, 'module', 'dist/ is ESM by package.json');
    // Production dependencies only: what the lockfile marks dev-only is pruned, every dependency is there.
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean }> };
    const devOnly = Object.entries(lock.packages).filter(([p, v]) => p && v.dev).map(([p]) => p);
    assert.isNotEmpty(devOnly);
    assert.deepEqual(devOnly.filter((p) => existsSync(at(p))), [], 'dev-only packages in the runtime image');
    for (const dep of Object.keys(pkg.dependencies)) assert.isTrue(existsSync(at(`node_modules/${dep}/package.json`)), `dependency ${dep} in the runtime image`);
    for (const f of ['server', 'viewer/src', 'test']) assert.isFalse(existsSync(at(f)), `${f} (sources) in the runtime image`);
  });

  it('the runtime stage serves the demo and the reading room, answers its HEALTHCHECK, and drains on SIGTERM', async function () {
    const runtime = rehearsed.get('runtime');
    if (!runtime) this.skip();
    const r = runtime!;
    const port = await freePort();
    const storage = host(r, imageEnv.VANKHO_STORAGE_ROOT ?? '/data');
    mkdirSync(storage, { recursive: true });
    // The image's environment; where the container's paths and port differ from this machine's, mapped.
    const env = { ...hostEnv(), ...r.env, VANKHO_STORAGE_ROOT: storage, VANKHO_SERVER_PORT: String(port), VANKHO_SERVER_HOST: '127.0.0.1' };
    const [cmd, ...args] = commandOf(ofKind(final, 'CMD').at(-1)!.getRawArgumentsContent()!);
    const server = spawn(cmd === 'node' ? process.execPath : cmd!, args, { cwd: host(r, r.workdir), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    server.stdout.on('data', (d: Buffer) => (out += d.toString()));
    server.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => server.on('exit', resolve));
    const hcRaw = (ofKind(final, 'HEALTHCHECK')[0] as Healthcheck).getRawArgumentsContent()!;
    const [hcCmd, ...hcArgs] = commandOf(hcRaw.slice(hcRaw.indexOf('CMD') + 3));
    const healthcheck = () =>
      new Promise<number>((resolve) =>
        execFile(hcCmd === 'node' ? process.execPath : hcCmd!, hcArgs, { cwd: host(r, r.workdir), env, timeout: 5000 }, (err) => resolve(err ? Number(err.code ?? 1) : 0)),
      );
    try {
      const started = Date.now();
      let healthy = false;
      while (!healthy && Date.now() - started < 120_000 && server.exitCode === null) {
        healthy = (await healthcheck()) === 0;
        if (!healthy) await new Promise((res) => setTimeout(res, 500));
      }
      assert.isTrue(healthy, `the HEALTHCHECK never passed:\n${out.slice(-4000)}`);
      log.push(`runtime stage healthy after ${((Date.now() - started) / 1000).toFixed(1)} s (demo prepared)`);
      const demo = JSON.parse(readFileSync(host(r, path.posix.join(r.workdir, 'manifests/demo/catalogue.json')), 'utf8')) as { items: { id: string }[] };
      const base = `http://127.0.0.1:${port}`;
      for (const p of ['/healthz', '/viewer/assets/reading-room.js', `/items/${demo.items[0]!.id}`, `/iiif/presentation/3/items/${demo.items[0]!.id}/manifest`]) {
        const res = await fetch(base + p);
        assert.strictEqual(res.status, 200, `GET ${p}`);
        assert.isAbove((await res.arrayBuffer()).byteLength, 0, `GET ${p} has a body`);
      }
      server.kill('SIGTERM');
      assert.strictEqual(await exited, 0, 'exits 0 on SIGTERM (STOPSIGNAL)');
      assert.notStrictEqual(await healthcheck(), 0, 'the HEALTHCHECK fails when the server is down');
    } finally {
      if (server.exitCode === null) server.kill('SIGKILL');
    }
  });
});
