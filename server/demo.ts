/**
 * The demo that `npm start` shows on a fresh clone, from files shipped in manifests/demo (see its
 * README for sources and licences): images, a scanned PDF whose pages become images, and a small
 * catalogue (manifests/demo/catalogue.json) written through the same validated Catalogue API; with an
 * OCR engine, the scanned PDF's text is recognised too (searchable, shown in the reader).
 * Idempotent: what is already stored — or was edited since — is left alone.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Catalogue } from './catalogue/catalogue.js';
import { projectRoot } from './config.js';
import { NotFoundError } from './errors.js';
import { extractPageJpegs } from './ingest/pdf-images.js';
import { addImage, idFromFileName, type PyramidOptions } from './ingest/pyramid.js';
import type { BlobStore } from './storage/blob-store.js';
import { imageKeys, ocrKeys } from './storage/layout.js';
import { ocrSettings, type Ocr } from './ingest/ocr.js';
import { recognisePage } from './ingest/recognise.js';
import { parseOrThrow } from './validation.js';

export const DEMO_DIR = path.join(projectRoot, 'manifests', 'demo');

const DemoFile = z.object({
  libraries: z.array(z.record(z.string(), z.unknown())),
  collections: z.array(z.record(z.string(), z.unknown())),
  documents: z.array(z.object({ id: z.string(), file: z.string() })),
  items: z.array(z.record(z.string(), z.unknown())),
});

async function addIfMissing(store: BlobStore, file: string, id: string, opts: PyramidOptions, logger: Logger): Promise<void> {
  if (await store.stat(imageKeys(id).record)) return;
  await addImage(store, file, { id }, opts);
  logger.info({ id }, 'demo image added');
}

const exists = async (get: () => Promise<unknown>) => {
  try {
    await get();
    return true;
  } catch (err) {
    if (err instanceof NotFoundError) return false;
    throw err;
  }
};

/**
 * With `text`: the scanned documents are recognised by `text.ocr` (once) and every demo item is put in
 * the search index by `text.index` (the catalogue is written directly here, not through the archive).
 */
export async function prepareDemo(
  store: BlobStore,
  catalogue: Catalogue,
  opts: PyramidOptions,
  logger: Logger,
  text?: { ocr: Ocr; index: (itemId: string) => Promise<void> },
): Promise<string[]> {
  const ocr = text?.ocr;
  const imagesDir = path.join(DEMO_DIR, 'images');
  for (const f of (await readdir(imagesDir)).filter((f) => !f.startsWith('.')).sort()) {
    await addIfMissing(store, path.join(imagesDir, f), idFromFileName(f), opts, logger);
  }
  const demo = parseOrThrow(DemoFile, JSON.parse(await readFile(path.join(DEMO_DIR, 'catalogue.json'), 'utf8')), 'demo catalogue');
  let ocrMissing = false;
  for (const doc of demo.documents) {
    const needsOcr = ocr !== undefined && !(await store.stat(ocrKeys(`${doc.id}-p1`).lines));
    if ((await store.stat(imageKeys(`${doc.id}-p1`).record)) && !needsOcr) continue;
    const description = demo.items.find((i) => i.id === doc.id)?.description as Parameters<typeof ocrSettings>[0] | undefined;
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'vankho-demo-'));
    try {
      const pages = await extractPageJpegs(path.join(DEMO_DIR, doc.file));
      for (const [i, jpeg] of pages.entries()) {
        if (!jpeg) throw new Error(`${doc.file}: page ${i + 1} is not a single embedded JPEG`);
        const file = path.join(tmp, `page-${i + 1}.jpg`);
        await writeFile(file, jpeg);
        await addIfMissing(store, file, `${doc.id}-p${i + 1}`, opts, logger);
        // The demo's scanned text is recognised as ingest would (once), so that it can be searched and
        // read; without Tesseract the demo goes on without text.
        if (needsOcr && description && !ocrMissing) {
          await recognisePage(store, ocr, `${doc.id}-p${i + 1}`, ocrSettings(description), { file, page: 0 }, opts).catch((err: NodeJS.ErrnoException) => {
            if (err.code !== 'ENOENT') throw err;
            ocrMissing = true;
            logger.warn('tesseract is not installed: the demo has no recognised text (apt-get install tesseract-ocr tesseract-ocr-vie)');
          });
        }
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
  for (const l of demo.libraries) if (!(await exists(() => catalogue.getLibrary(String(l.id))))) await catalogue.putLibrary(l);
  for (const c of demo.collections) if (!(await exists(() => catalogue.getCollection(String(c.id))))) await catalogue.putCollection(c);
  const items: string[] = [];
  for (const i of demo.items) {
    if (!(await exists(() => catalogue.getItem(String(i.id))))) await catalogue.putItem(i);
    items.push(String(i.id));
  }
  for (const id of items) await text?.index(id);
  return items;
}
