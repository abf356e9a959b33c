/**
 * What an ingest path holds, as items and their page sources:
 * - a folder of page images → one item, pages in natural order of file name;
 * - a folder of folders → one item per sub-folder;
 * - a multi-page TIFF or a PDF → one item, one page per TIFF page / PDF page;
 * - a single image → one item of one page.
 * Page sources are strings kept in the job: `file:PATH`, `tiff:PATH#INDEX`, `pdf:PATH#PAGE`.
 */
import { storageFault, withoutPaths } from '../storage/faults.js';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { pageIndexes, readTiffFile } from '../storage/tiff.js';
import { detectType, readHead } from './detect.js';
import { idFromFileName } from './pyramid.js';

export interface PlannedItem {
  /** Name the metadata refers to: the folder or file name. */
  readonly name: string;
  readonly itemId: string;
  readonly source: string;
  readonly pages: string[];
}

const natural = new Intl.Collator('vi', { numeric: true, sensitivity: 'base' });

export function parsePageSource(source: string): { kind: 'file' | 'tiff' | 'pdf'; file: string; index: number } {
  const m = /^(file|tiff|pdf):(.*?)(?:#(\d+))?$/.exec(source);
  if (!m) throw new Error(`bad page source ${source}`);
  return { kind: m[1] as 'file' | 'tiff' | 'pdf', file: m[2]!, index: Number(m[3] ?? 0) };
}

async function pdfPageCount(file: string, maxPages: number): Promise<number> {
  let count: number;
  try {
    count = (await PDFDocument.load(await readFile(file), { updateMetadata: false })).getPageCount();
  } catch (err) {
    throw storageFault(err) ?? new InvalidInputError('corrupt_file', `${path.basename(file)}: not a readable PDF (${withoutPaths((err as Error).message)})`);
  }
  if (count > maxPages) throw new InvalidInputError('too_many_pages', `${path.basename(file)}: ${count} pages is over the limit of ${maxPages} (ingest.maxPdfPages)`);
  return count;
}

async function tiffPageIndexes(file: string): Promise<number[]> {
  // A damaged TIFF is refused, with its reason, when its page is added.
  return readTiffFile(file).then(pageIndexes, () => [0]);
}

/** Page sources of one file: PDF and multi-page TIFF expand, anything else is one page. */
async function filePages(file: string, maxPdfPages: number): Promise<string[]> {
  const type = detectType(await readHead(file));
  if (type === 'pdf') return Array.from({ length: await pdfPageCount(file, maxPdfPages) }, (_, i) => `pdf:${file}#${i + 1}`);
  if (type === 'tiff') {
    const pages = await tiffPageIndexes(file);
    if (pages.length > 1) return pages.map((i) => `tiff:${file}#${i}`);
  }
  return [`file:${file}`];
}

async function folderPages(dir: string, maxPdfPages: number): Promise<string[]> {
  const names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => e.name).sort(natural.compare);
  const pages: string[] = [];
  for (const n of names) pages.push(...(await filePages(path.join(dir, n), maxPdfPages)));
  return pages;
}

export async function planSources(input: string, opts: { maxPdfPages: number }): Promise<PlannedItem[]> {
  const abs = path.resolve(input);
  const st = await stat(abs).catch(() => null);
  if (!st) throw new NotFoundError(`${input}: no such file or folder`);
  const item = (p: string, pages: string[]): PlannedItem => {
    const name = path.basename(p);
    return { name, itemId: idFromFileName(name), source: p, pages };
  };
  if (st.isFile()) return [item(abs, await filePages(abs, opts.maxPdfPages))];
  const entries = (await readdir(abs, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
  const subdirs = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort(natural.compare);
  if (subdirs.length > 0 && !entries.some((e) => e.isFile())) {
    const items: PlannedItem[] = [];
    for (const d of subdirs) items.push(item(path.join(abs, d), await folderPages(path.join(abs, d), opts.maxPdfPages)));
    return items;
  }
  return [item(abs, await folderPages(abs, opts.maxPdfPages))];
}
