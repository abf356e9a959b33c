/**
 * The embedded scan of each page of a PDF, where the page is one embedded JPEG (what scanners and
 * img2pdf write): the JPEG stream is taken out as it is stored (DCTDecode), without re-encoding.
 * A page drawn some other way gives null: it needs rasterising (the ingest pipeline does that).
 */
import { storageFault, withoutPaths } from '../storage/faults.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PDFDict, PDFDocument, PDFName, PDFRawStream } from 'pdf-lib';
import { InvalidInputError } from '../errors.js';

export async function extractPageJpegs(file: string, maxPages = 2000): Promise<(Buffer | null)[]> {
  return (await extractPdfPages(file, maxPages)).map((p) => p.jpeg);
}

/** A PDF page: its embedded scan (or null), and the size of its visible box (CropBox) in points. */
export interface PdfPage {
  readonly jpeg: Buffer | null;
  readonly widthPt: number;
  readonly heightPt: number;
}

export async function extractPdfPages(file: string, maxPages = 2000): Promise<PdfPage[]> {
  const name = path.basename(file);
  let doc: PDFDocument;
  try {
    doc = await PDFDocument.load(await readFile(file), { updateMetadata: false });
  } catch (err) {
    throw storageFault(err) ?? new InvalidInputError('corrupt_file', `${name}: not a readable PDF (${withoutPaths((err as Error).message)})`);
  }
  const pages = doc.getPages();
  if (pages.length > maxPages) throw new InvalidInputError('too_many_pages', `${name}: ${pages.length} pages is over the limit of ${maxPages}`);
  return pages.map((page) => {
    const xobjects = page.node.Resources()?.lookupMaybe(PDFName.of('XObject'), PDFDict);
    const images = (xobjects?.entries() ?? [])
      .map(([, ref]) => doc.context.lookup(ref))
      .filter((o): o is PDFRawStream => o instanceof PDFRawStream && o.dict.get(PDFName.of('Subtype')) === PDFName.of('Image'));
    const filter = images[0]?.dict.get(PDFName.of('Filter'));
    // What poppler rasterises: the CropBox (the MediaBox when there is none).
    const box = page.getCropBox();
    return {
      jpeg: images.length === 1 && filter === PDFName.of('DCTDecode') ? Buffer.from(images[0]!.contents) : null,
      widthPt: Math.abs(box.width),
      heightPt: Math.abs(box.height),
    };
  });
}
