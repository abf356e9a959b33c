/**
 * Ingest as librarians use it: the `vankho ingest` CLI on folders, folder trees with spreadsheet
 * metadata, PDFs (embedded scans and pages to rasterise) and multi-page TIFFs; hostile and infected
 * files quarantined while the batch goes on; the same input twice not duplicated; uploads over HTTP
 * with progress events. Real Tesseract, real ClamAV (with our own EICAR signature), real SQLite.
 */
import { assert } from 'chai';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import { projectRoot } from '../../server/config.js';
import { NotFoundError } from '../../server/errors.js';
import { readMetadata } from '../../server/ingest/metadata.js';
import { rejects } from '../helpers/assert.js';
import { runCli } from '../helpers/cli.js';
import { presentation3Errors } from '../helpers/iiif-schema.js';
import { STAFF, startTestServer, tempDir, type TestServer } from '../helpers/server.js';
import { data } from '../helpers/shared.js';
import { cer } from '../helpers/text.js';

type Json = Record<string, any>;
let srv: TestServer;
let env: Record<string, string>;
let work: string;
const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
const sha = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');
const ingest = (args: string[]) => runCli(['ingest', ...args], env);

async function manifest(id: string): Promise<Json> {
  const res = await srv.get(`/iiif/presentation/3/items/${id}/manifest`);
  assert.strictEqual(res.status, 200, id);
  return (await res.json()) as Json;
}

describe('ingest', () => {
  before(async () => {
    work = await tempDir('vankho-ingest-');
    // ClamAV with a signature database of our own: the public EICAR test signature (md5:size:name).
    const db = path.join(work, 'clamav');
    await mkdir(db);
    await writeFile(path.join(db, 'eicar.hdb'), `${createHash('md5').update(EICAR).digest('hex')}:${EICAR.length}:Eicar-Test-Signature\n`);
    srv = await startTestServer({
      ingest: { concurrency: 2, maxPdfPages: 50, pdfDpi: 150, defaultRights: 'http://rightsstatements.org/vocab/CNE/1.0/', maxUploadBytes: 5_000_000, malwareScan: { enabled: true, command: 'clamscan', database: db } },
    });
    await srv.deps.catalogue.putLibrary({ id: 'tinh', name: { vi: 'Thư viện tỉnh' } });
    await srv.deps.catalogue.putCollection({ id: 'so-hoa', library: 'tinh', label: { vi: 'Tài liệu số hoá' } });
    env = {
      VANKHO_STORAGE_ROOT: srv.root,
      VANKHO_INGEST_MALWARE_SCAN_ENABLED: 'true',
      VANKHO_INGEST_MALWARE_SCAN_DATABASE: db,
      VANKHO_INGEST_PDF_DPI: '150',
      VANKHO_LOG_LEVEL: 'silent',
    };
  });
  after(() => srv.close());

  describe('vankho ingest: a folder of folders with spreadsheet metadata', () => {
    let out: { code: number; stdout: string; stderr: string };
    before(async () => {
      const tree = path.join(work, 'lo-so-hoa');
      await mkdir(path.join(tree, 'dia-chi'), { recursive: true });
      await mkdir(path.join(tree, 'thien-tu-van'), { recursive: true });
      await copyFile(data('ocr', 'vi_print_01.png'), path.join(tree, 'dia-chi', 'trang-1.png'));
      await copyFile(data('ocr', 'vi_print_02.jpg'), path.join(tree, 'dia-chi', 'trang-2.jpg'));
      await copyFile(data('ocr', 'han_vertical_01.jpg'), path.join(tree, 'thien-tu-van', '001.jpg'));
      const csv = [
        'path,id,kind,title.vi,title.original,title.originalLanguage,languages,scripts,date.text,date.from,date.to,rights,viewingDirection,behavior',
        'dia-chi,dia-chi-so-hoa,book,Thư viện tỉnh và công cuộc số hoá,,,vi,latn,2026,2026,2026,http://creativecommons.org/publicdomain/zero/1.0/,left-to-right,individuals',
        'thien-tu-van,thien-tu-van,woodblock,Thiên tự văn,千字文,lzh,lzh,han,Thời Lương (thế kỷ 6),500,600,https://creativecommons.org/publicdomain/mark/1.0/,right-to-left,paged',
      ].join('\n');
      await writeFile(path.join(work, 'mo-ta.csv'), `\uFEFF${csv}\n`);
      out = await ingest([tree, '--collection', 'so-hoa', '--metadata', path.join(work, 'mo-ta.csv')]);
    });

    it('ingests one item per folder, described from the spreadsheet', async () => {
      assert.strictEqual(out.code, 0, out.stderr + out.stdout);
      assert.match(out.stdout, /dia-chi-so-hoa: done/);
      assert.match(out.stdout, /thien-tu-van: done/);
      const vi = await srv.deps.catalogue.getItem('dia-chi-so-hoa');
      assert.strictEqual(vi.canvases.length, 2);
      assert.strictEqual(vi.description.title.vi, 'Thư viện tỉnh và công cuộc số hoá');
      const han = await srv.deps.catalogue.getItem('thien-tu-van');
      assert.strictEqual(han.kind, 'woodblock');
      assert.strictEqual(han.description.title.original, '千字文');
      assert.deepEqual(han.description.date, { text: 'Thời Lương (thế kỷ 6)', from: 500, to: 600 });
      assert.strictEqual(han.description.rights, 'http://creativecommons.org/publicdomain/mark/1.0/');
      assert.strictEqual(han.description.viewingDirection, 'right-to-left');
    });

    it('reads the text with the item\'s language: Vietnamese, and vertical Han', async () => {
      const page1 = (await srv.deps.index.getPage('dia-chi-so-hoa', 1))!;
      // Tesseract reads this page's heading "số hoá di sản" as "số hoá đi sản": the page is judged
      // by its character error rate against the ground truth, as bench/ingest.ts measures it.
      const truth = readFileSync(data('ocr', 'vi_print_01.gt.txt'), 'utf8');
      assert.isAtMost(cer(page1.text, truth), 0.01, page1.text);
      assert.strictEqual(page1.language, 'vi');
      const han = (await srv.deps.index.getPage('thien-tu-van', 1))!;
      assert.match(han.text, /天地玄黃/);
      assert.strictEqual(han.language, 'lzh');
      // Found by its page text, typed without diacritics, as a phrase: the item, page 1, highlighted.
      const found = (await (await fetch(`${srv.url}/api/search?q=${encodeURIComponent('"cong cuoc"')}`)).json()) as {
        items: { id: string; pageHits: number; snippets: { canvas: number; text: string; highlights: [number, number][] }[] }[];
      };
      assert.deepEqual(found.items.map((i) => [i.id, i.pageHits, i.snippets.map((s) => s.canvas)]), [['dia-chi-so-hoa', 1, [1]]]);
      const s = found.items[0]!.snippets[0]!;
      assert.deepEqual(s.highlights.map(([a, b]) => s.text.slice(a, b)), ['công cuộc']);
    });

    it('links ALTO and line/word annotations from every canvas, all valid Presentation 3', async () => {
      const m = await manifest('dia-chi-so-hoa');
      assert.deepEqual(presentation3Errors(m), []);
      const canvas = m.items[0];
      // Lines in the canvas's annotations (what Mirador lists); words one link away, not flooding it.
      assert.deepEqual(canvas.annotations.map((a: Json) => a.id.split('/').slice(-2).join('/')), ['ocr/line']);
      assert.strictEqual(canvas.seeAlso[0].format, 'application/xml');
      const lines = (await (await srv.get(new URL(canvas.annotations[0].id).pathname)).json()) as Json;
      assert.deepEqual(presentation3Errors(lines), []);
      const first = lines.items[0];
      assert.strictEqual(first.motivation, 'supplementing');
      assert.strictEqual(first.textGranularity, 'line');
      const heading = readFileSync(data('ocr', 'vi_print_01.gt.txt'), 'utf8').split('\n')[0]!;
      assert.isAtMost(cer(first.body.value, heading), 0.05, `${first.body.value} vs ${heading}`);
      const [x, y, w, h] = /#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(first.target)!.slice(1).map(Number) as [number, number, number, number];
      assert.ok(x + w <= canvas.width && y + h <= canvas.height && w > 1000 && h > 30, `${first.target}`);
      // The title sits in the top fifth of the A4 page.
      assert.ok(y < canvas.height / 5);
      const words = (await (await srv.get(new URL(canvas.seeAlso.find((s: Json) => s.type === 'AnnotationPage').id).pathname)).json()) as Json;
      assert.strictEqual(words.items[0].textGranularity, 'word');
      assert.strictEqual(words.items[0].body.value, 'Thư');
      const alto = await srv.get(new URL(canvas.seeAlso[0].id).pathname);
      assert.strictEqual(alto.status, 200);
      assert.match(await alto.text(), /<String [^>]*CONTENT="Thư"/);
    });
  });

  describe('vankho ingest: PDFs and multi-page TIFFs', () => {
    it('takes the embedded scans out of a PDF without re-encoding, and keeps the PDF as the rendering', async () => {
      const pdf = data('pdf', 'ndl_3508165_sanpo-shojo_5pages.pdf');
      const out = await ingest([pdf, '--collection', 'so-hoa']);
      assert.strictEqual(out.code, 0, out.stderr + out.stdout);
      const item = await srv.deps.catalogue.getItem('ndl_3508165_sanpo-shojo_5pages');
      assert.strictEqual(item.canvases.length, 5);
      const shas = await Promise.all(['08', '09', '10', '11', '12'].map((k) => sha(data('manuscripts', 'ndl-3508165-sanpo-shojo', `3508165_${k}.jpg`))));
      for (const [i, c] of item.canvases.entries()) {
        const record = JSON.parse((await srv.deps.store.read(`images/${c.image}/image.json`)).toString()) as Json;
        assert.strictEqual(record.masterSha256, shas[i], `page ${i + 1} is the embedded JPEG, byte for byte`);
      }
      const rendering = (await manifest(item.id)).rendering[0].id as string;
      const served = Buffer.from(await (await srv.get(new URL(rendering).pathname)).arrayBuffer());
      assert.strictEqual(createHash('sha256').update(served).digest('hex'), await sha(pdf));
    });

    it('rasterises a PDF page that is not a single scan, at the configured resolution', async () => {
      const doc = await PDFDocument.create();
      const page = doc.addPage([595, 842]);
      page.drawText('Thu vien tinh Bac Kan', { x: 60, y: 760, size: 28, font: await doc.embedFont(StandardFonts.Helvetica) });
      const file = path.join(work, 'van-ban.pdf');
      await writeFile(file, await doc.save());
      const out = await ingest([file, '--collection', 'so-hoa']);
      assert.strictEqual(out.code, 0, out.stderr + out.stdout);
      const item = await srv.deps.catalogue.getItem('van-ban');
      // 595×842 pt at 150 dpi.
      assert.ok(Math.abs(item.canvases[0]!.width - 1240) <= 1 && Math.abs(item.canvases[0]!.height - 1754) <= 1, `${item.canvases[0]!.width}×${item.canvases[0]!.height}`);
      assert.match((await srv.deps.index.getPage('van-ban', 1))!.text, /Thu vien tinh Bac Kan/);
    });

    it('refuses a PDF page whose box would rasterise past the pixel limit, before rasterising it', async () => {
      // A few hundred bytes: one 200 × 200 in page (PDF's largest) with a line of text; at 150 dpi it
      // would be 30 000 × 30 000 = 900 MP, over image.maxInputPixels (300 MP).
      const doc = await PDFDocument.create();
      const page = doc.addPage([14_400, 14_400]);
      page.drawText('bom', { x: 60, y: 60, size: 28, font: await doc.embedFont(StandardFonts.Helvetica) });
      const file = path.join(work, 'trang-khong-lo.pdf');
      await writeFile(file, await doc.save());
      const out = await ingest([file, '--collection', 'so-hoa']);
      assert.match(out.stdout + out.stderr, /trang-khong-lo\.pdf, page 1: 200\.0 × 200\.0 in at 150 dpi would be 30000×30000 = 900000000 pixels, over the limit of 300000000 \(image\.maxInputPixels\)/);
      assert.strictEqual(await srv.deps.store.stat('images/trang-khong-lo-p1/image.json'), null, 'nothing made of it');
    });

    it('makes one canvas per page of a multi-page TIFF, keeping the TIFF once', async () => {
      const pages = await Promise.all(['#f0e6d2', '#e8dcc0', '#d9c9a3'].map((c) => sharp({ create: { width: 400, height: 600, channels: 3, background: c } }).png().toBuffer()));
      const file = path.join(work, 'tap-tiff.tif');
      await sharp(pages, { join: { animated: true } }).tiff({ compression: 'lzw' }).toFile(file);
      const out = await ingest([file, '--collection', 'so-hoa']);
      assert.strictEqual(out.code, 0, out.stderr + out.stdout);
      assert.strictEqual((await srv.deps.catalogue.getItem('tap-tiff')).canvases.length, 3);
      assert.strictEqual(await sha(srv.deps.store.localPath('items/tap-tiff/original.tif')), await sha(file));
      assert.strictEqual(await srv.deps.store.stat('images/tap-tiff-p2/master.tif'), null);
    });

    it('does not ingest the same file twice', async () => {
      const before = (await readdir(path.join(srv.root, 'images'))).length;
      const copy = path.join(work, 'ban-sao.pdf');
      await copyFile(data('pdf', 'ndl_3508165_sanpo-shojo_5pages.pdf'), copy);
      const out = await ingest([copy, '--collection', 'so-hoa']);
      assert.match(out.stdout, /ban-sao: duplicate — already ingested as item "ndl_3508165_sanpo-shojo_5pages"/);
      await rejects(srv.deps.catalogue.getItem('ban-sao'), NotFoundError);
      assert.strictEqual((await readdir(path.join(srv.root, 'images'))).length, before);
    });
  });

  describe('vankho ingest at a terminal', () => {
    it('draws progress bars for items and pages', async () => {
      const folder = path.join(work, 'tty');
      await mkdir(folder);
      await copyFile(data('manuscripts', '2544473_03.jpg'), path.join(folder, '1.jpg'));
      // util-linux `script` runs the CLI on a pseudo-terminal, as a librarian's shell would.
      const command = [process.execPath, '--import', 'tsx', path.join(projectRoot, 'server', 'cli.ts'), 'ingest', folder, '--collection', 'so-hoa'].map((a) => `'${a}'`).join(' ');
      const out = await new Promise<string>((resolve, reject) =>
        execFile('script', ['-qec', command, '/dev/null'], { cwd: projectRoot, env: { ...process.env, ...env } }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
      );
      assert.match(out, /Tài liệu \/ items \[█+\] 1\/1/);
      assert.match(out, /Trang \/ pages +\[█+\] 1\/1/);
    });
  });

  describe('vankho ingest: bad files', () => {
    it('quarantines hostile and infected files with their reason; the rest of the batch goes on', async () => {
      const folder = path.join(work, 'lo-hong');
      await mkdir(folder);
      await copyFile(data('manuscripts', '2544473_01.jpg'), path.join(folder, '01-tot.jpg'));
      for (const f of ['html_renamed.jpg', 'png_bomb_100000x100000.png', 'truncated.jpg', 'zip_renamed.tif', 'empty.jpg']) await copyFile(data('hostile', f), path.join(folder, `02-${f}`));
      await writeFile(path.join(folder, '03-eicar.jpg'), EICAR);
      const out = await ingest([folder, '--collection', 'so-hoa']);
      assert.strictEqual(out.code, 1, 'refused pages make the exit code 1');
      assert.match(out.stdout, /lo-hong: partial — 6 of 7 pages refused/);
      for (const reason of [/it is an HTML page/, /100000×100000 = 10000000000 pixels is over the limit/, /does not decode cleanly/, /it is a ZIP archive/, /the file is empty/, /03-eicar\.jpg: infected \(Eicar-Test-Signature[^)]*\)/]) {
        assert.match(out.stdout, reason);
      }
      assert.strictEqual((await srv.deps.catalogue.getItem('lo-hong')).canvases.length, 1);
      const quarantined = (await readdir(path.join(srv.root, 'quarantine'), { recursive: true })).filter((f) => String(f).endsWith('.reason.txt'));
      assert.ok(quarantined.length >= 6, `${quarantined.length} quarantined`);
    });

    it('refuses an item whose metadata is wrong, naming the field, and ingests the others', async () => {
      const tree = path.join(work, 'lo-mo-ta');
      await mkdir(path.join(tree, 'a'), { recursive: true });
      await mkdir(path.join(tree, 'b'), { recursive: true });
      await copyFile(data('manuscripts', '2568591_16.jpg'), path.join(tree, 'a', '1.jpg'));
      await copyFile(data('manuscripts', '2568591_15.jpg'), path.join(tree, 'b', '1.jpg'));
      await writeFile(path.join(work, 'sai.json'), JSON.stringify([{ path: 'a', description: { title: { vi: 'A' }, rights: 'tự do' } }, { path: 'b', id: 'sach-b', description: { title: { vi: 'B' } } }]));
      const out = await ingest([tree, '--collection', 'so-hoa', '--metadata', path.join(work, 'sai.json')]);
      assert.match(out.stdout, /a: failed — invalid metadata of a: description\.rights: must be a rightsstatements\.org or creativecommons\.org URI/);
      assert.match(out.stdout, /sach-b: done/);
    });

    it('refuses a PDF over the page limit before doing any work', async () => {
      const copy = path.join(work, 'qua-dai.pdf');
      await copyFile(data('pdf', 'ndl_3508165_sanpo-shojo_5pages.pdf'), copy);
      const out = await runCli(['ingest', copy, '--collection', 'so-hoa'], { ...env, VANKHO_INGEST_MAX_PDF_PAGES: '4' });
      assert.strictEqual(out.code, 1);
      assert.match(out.stdout, /failed — qua-dai\.pdf: 5 pages is over the limit of 4 \(ingest\.maxPdfPages\)/);
      await rejects(srv.deps.catalogue.getItem('qua-dai'), NotFoundError);
    });

    it('says what is wrong with the command itself', async () => {
      const none = await ingest([path.join(work, 'khong-co'), '--collection', 'so-hoa']);
      assert.strictEqual(none.code, 2);
      assert.match(none.stderr, /no such file or folder/);
      const noCollection = await ingest([path.join(work, 'lo-hong'), '--collection', 'khong-co']);
      assert.match(noCollection.stderr, /no collection "khong-co"/);
    });
  });

  describe('ingest over HTTP', () => {
    it('takes a streamed upload, runs it as a job and reports progress as events', async () => {
      const file = path.join(projectRoot, 'manifests', 'demo', 'documents', 'tu-lieu-dia-chi.pdf');
      const res = await srv.get('/api/ingest?collection=so-hoa&filename=tai-lieu-tai-len.pdf&title=T%C3%A0i%20li%E1%BB%87u%20t%E1%BA%A3i%20l%C3%AAn', {
        method: 'POST',
        body: await readFile(file),
        headers: { ...STAFF, 'Content-Type': 'application/pdf' },
      });
      assert.strictEqual(res.status, 202, await res.clone().text());
      const { job, events } = (await res.json()) as Json;
      const stream = await srv.get(events, { headers: STAFF });
      assert.strictEqual(stream.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      const text = await stream.text();
      assert.match(text, /event: progress\ndata: \{"state":"running"/);
      assert.match(text, /event: end\ndata: \{"state":"done"\}/);
      const status = (await (await srv.get(`/api/ingest/jobs/${job}`, { headers: STAFF })).json()) as Json;
      assert.strictEqual(status.items[0].state, 'done');
      // Sources are named, not located: no path of the server in the job.
      assert.notInclude(JSON.stringify(status), srv.root);
      assert.strictEqual(status.source, 'tai-lieu-tai-len.pdf');
      assert.deepEqual(status.items[0].pages.map((p: Json) => p.source), ['tai-lieu-tai-len.pdf#1', 'tai-lieu-tai-len.pdf#2']);
      const item = await srv.deps.catalogue.getItem('tai-lieu-tai-len');
      assert.strictEqual(item.description.title.vi, 'Tài liệu tải lên');
      assert.strictEqual(item.canvases.length, 2);
    });

    it('refuses an upload over the limit with 413, keeping nothing', async () => {
      const big = Buffer.alloc(6_000_000, 1);
      const res = await srv.get('/api/ingest?collection=so-hoa&filename=to.tif', { method: 'POST', body: big, headers: STAFF });
      assert.strictEqual(res.status, 413);
      assert.match(await res.text(), /over the limit of 5000000 bytes/);
    });

    it('refuses up front an item identifier that leaves no room for its page names, and takes one that does', async () => {
      const long = 'a'.repeat(128); // a valid identifier, but its first page would be a…a-p1: 131 characters
      const res = await srv.get(`/api/ingest?collection=so-hoa&filename=x.jpg&item=${long}`, { method: 'POST', body: 'x', headers: STAFF });
      assert.strictEqual(res.status, 400);
      assert.match(await res.text(), /at most 120 characters \(its pages are named ID-p1/);
      const fits = 'b'.repeat(120);
      const ok = await srv.get(`/api/ingest?collection=so-hoa&filename=trang.jpg&item=${fits}`, { method: 'POST', body: await readFile(data('manuscripts', '2568591_16.jpg')), headers: STAFF });
      assert.strictEqual(ok.status, 202);
      const { events } = (await ok.json()) as Json;
      assert.match(await (await srv.get(events, { headers: STAFF })).text(), /event: end\ndata: \{"state":"done"\}/);
      assert.deepEqual((await srv.deps.catalogue.getItem(fits)).canvases.map((c) => c.image), [`${fits}-p1`]);
      // The same rule for the identifiers of a metadata file, before any work.
      const meta = path.join(await tempDir(), 'mo-ta.json');
      await writeFile(meta, JSON.stringify([{ path: 'x', id: long }]));
      await rejects(readMetadata(meta), /mo-ta\.json, x: id "a+": an ingested item's identifier is at most 120 characters/);
    });

    it('answers 400 for a bad request, 404 for an unknown job', async () => {
      assert.strictEqual((await srv.get('/api/ingest?filename=x.pdf', { method: 'POST', body: 'x', headers: STAFF })).status, 400);
      assert.strictEqual((await srv.get('/api/ingest?collection=khong-co', { method: 'POST', body: 'x', headers: STAFF })).status, 404);
      assert.strictEqual((await srv.get('/api/ingest/jobs/khong-co', { headers: STAFF })).status, 404);
    });

    it('takes uploads and answers job reads only with staff credentials (401 without: loopback is not staff)', async () => {
      const upload = await srv.get('/api/ingest?collection=so-hoa&filename=x.pdf', { method: 'POST', body: 'x' });
      assert.strictEqual(upload.status, 401);
      assert.match(upload.headers.get('www-authenticate') ?? '', /^Bearer /);
      assert.strictEqual((await srv.get('/api/ingest/jobs/khong-co')).status, 401);
    });
  });
});
