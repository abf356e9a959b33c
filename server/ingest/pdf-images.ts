/**
 * Pages of a scanned PDF whose every page is one embedded JPEG (what scanners and img2pdf write):
 * the JPEG streams are taken out as they are stored (DCTDecode), without re-encoding.
 * Pages drawn some other way need rasterising (the ingest pipeline's work); they are refused here
 * with the page number.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PDFDict, PDFDocument, PDFName, PDFRawStream } from 'pdf-lib';
import { InvalidInputError } from '../errors.js';

export async function extractPageJpegs(file: string, maxPages = 2000): Promise<Buffer[]> {
  const name = path.basename(file);
  let doc: PDFDocument;
  try {
    doc = await PDFDocument.load(await readFile(file), { updateMetadata: false });
  } catch (err) {
    throw new InvalidInputError('corrupt_file', `${name}: not a readable PDF (${(err as Error).message})`);
  }
  const pages = doc.getPages();
  if (pages.length > maxPages) throw new InvalidInputError('too_many_pages', `${name}: ${pages.length} pages is over the limit of ${maxPages}`);
  return pages.map((page, i) => {
    const xobjects = page.node.Resources()?.lookupMaybe(PDFName.of('XObject'), PDFDict);
    const images = (xobjects?.entries() ?? [])
      .map(([, ref]) => doc.context.lookup(ref))
      .filter((o): o is PDFRawStream => o instanceof PDFRawStream && o.dict.get(PDFName.of('Subtype')) === PDFName.of('Image'));
    const filter = images[0]?.dict.get(PDFName.of('Filter'));
    if (images.length !== 1 || filter !== PDFName.of('DCTDecode')) {
      throw new InvalidInputError('unsupported_pdf_page', `${name}: page ${i + 1} is not a single embedded JPEG scan`);
    }
    return Buffer.from(images[0]!.contents);
  });
}
