/**
 * Ocr: page image → ALTO XML. Backend: Tesseract 5 (Debian `tesseract-ocr` with `vie`, `chi_tra`,
 * `chi_tra_vert`, `eng`), run as a process. The language models and page segmentation come from the
 * item's description (`ocrSettings`).
 */
import { programFault } from '../storage/faults.js';
import { scratchDir } from '../storage/scratch.js';
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface OcrSettings {
  /** Tesseract models joined with `+`, e.g. `vie+eng`. */
  readonly languages: string;
  /** Page segmentation mode: 3 automatic, 5 one vertical block of text. */
  readonly psm: number;
  /** BCP 47 language of the recognised text, for annotations. */
  readonly textLanguage: string;
}

export interface Ocr {
  /** @returns ALTO 4 XML. Throws when the engine fails. */
  recognize(imagePath: string, settings: OcrSettings): Promise<string>;
}

/**
 * From the description: Han or Nôm script → the traditional Chinese models, vertical (psm 5) when the
 * book reads right to left or top to bottom, as Hán-Nôm books do; Quốc ngữ or Vietnamese → `vie`.
 */
export function ocrSettings(d: { languages: readonly string[]; scripts: readonly string[]; viewingDirection: string }): OcrSettings {
  const han = d.scripts.some((s) => s === 'han' || s === 'nom' || s === 'tay-nom') || (d.scripts.length === 0 && d.languages.includes('lzh'));
  const latin = d.scripts.includes('latn') || (d.scripts.length === 0 && !han);
  const vertical = han && (d.viewingDirection === 'right-to-left' || d.viewingDirection === 'top-to-bottom');
  const models = [
    ...(latin && (d.languages.includes('vi') || d.languages.includes('tyz') || !d.languages.includes('en')) ? ['vie'] : []),
    ...(latin && d.languages.includes('en') ? ['eng'] : []),
    ...(han ? [vertical ? 'chi_tra_vert' : 'chi_tra'] : []),
  ];
  return {
    languages: models.join('+') || 'vie',
    psm: vertical && !latin ? 5 : 3,
    // The text as written: Nôm is Vietnamese in Han characters, Tày Nôm Tày in them, the rest Literary Chinese.
    textLanguage: han && !latin ? (d.scripts.includes('nom') ? 'vi-Hani' : d.scripts.includes('tay-nom') ? 'tyz-Hani' : 'lzh') : (d.languages[0] ?? 'vi'),
  };
}

export class TesseractOcr implements Ocr {
  constructor(private readonly binary = 'tesseract') {}

  async recognize(imagePath: string, settings: OcrSettings): Promise<string> {
    const dir = await scratchDir('ocr');
    try {
      const out = path.join(dir, 'page');
      // One thread per page: pages run in parallel, which uses the cores better than OpenMP inside one.
      try {
        await run(this.binary, [imagePath, out, '-l', settings.languages, '--psm', String(settings.psm), 'alto'], {
          env: { ...process.env, OMP_THREAD_LIMIT: '1' },
          maxBuffer: 16 << 20,
        });
      } catch (err) {
        // Its output could not be written (TMPDIR full): ours, not the page's.
        throw (await programFault(err, dir)) ?? err;
      }
      return await readFile(`${out}.xml`, 'utf8');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
