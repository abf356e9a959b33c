/**
 * OCR of one page into the store: ALTO as the engine wrote it, then lines and words as JSON (the
 * marker that the page is done). Used by the ingest pipeline and by the demo.
 */
import { scratchDir } from '../storage/scratch.js';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BlobStore } from '../storage/blob-store.js';
import { ocrKeys } from '../storage/layout.js';
import { parseAlto } from './alto.js';
import type { Ocr, OcrSettings } from './ocr.js';
import { uprightPage, type PyramidOptions } from './pyramid.js';

/**
 * OCR of the page image as it arrived (not the pyramid: its tiles are lossy JPEG, and OCR reads
 * small diacritics), turned and flattened exactly as the pyramid's full level is, so that boxes are
 * canvas coordinates. Skipped when the page has OCR already.
 */
export async function recognisePage(
  store: BlobStore,
  ocr: Ocr,
  imageId: string,
  settings: OcrSettings,
  source: { file: string; page: number },
  pyramid: PyramidOptions,
): Promise<void> {
  const keys = ocrKeys(imageId);
  if (await store.stat(keys.lines)) return;
  const dir = await scratchDir('page');
  try {
    const { data, info } = await uprightPage(source.file, source.page, pyramid).grayscale().raw().toBuffer({ resolveWithObject: true });
    // PGM: the cheapest image for Tesseract to read.
    const pgm = path.join(dir, 'page.pgm');
    await writeFile(pgm, Buffer.concat([Buffer.from(`P5\n${info.width} ${info.height}\n255\n`), data]));
    const alto = await ocr.recognize(pgm, settings);
    const page = parseAlto(alto, settings.textLanguage);
    await store.put(keys.alto, alto);
    await store.put(keys.lines, JSON.stringify({ ...page, width: info.width, height: info.height }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
