/**
 * The item as a PDF (the manifest's `rendering`), made on first request with pdf-lib from JPEG
 * derivatives of each page and kept in storage, keyed by the item's version. Concurrent requests for
 * the same PDF share one build.
 */
import { PDFDocument } from 'pdf-lib';
import type { Item } from '../catalogue/catalogue.js';
import { ServiceUnavailableError } from '../errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import { itemKeys } from '../storage/layout.js';

/** Returns a JPEG of a stored image whose longer side is at most `maxSide` pixels. */
export type PageJpeg = (imageId: string, maxSide: number) => Promise<Buffer>;

export interface PdfOptions {
  /** Longer side of each page image in pixels. */
  readonly maxSide: number;
  /** Resolution the page size is computed at. */
  readonly dpi: number;
}

/** Builds run one at a time (each renders its pages one by one, waiting for room in the render pool); this many more may wait. */
const WAITING_BUILDS = 4;

export class ItemPdfs {
  private readonly building = new Map<string, Promise<string>>();
  /** Builds waiting for their turn (the one running included in `running`). */
  private readonly turns: (() => void)[] = [];
  private running = false;

  constructor(
    private readonly store: BlobStore,
    private readonly pageJpeg: PageJpeg,
    private readonly opts: PdfOptions = { maxSide: 2000, dpi: 150 },
  ) {}

  /** Storage key of the item's PDF: the original it was ingested from, or one built (once) from its pages. */
  async get(item: Item): Promise<string> {
    const original = itemKeys(item.id).original('pdf');
    if (await this.store.stat(original)) return original;
    const key = `derivatives/pdf/${item.id}-v${item.version}-${this.opts.maxSide}.pdf`;
    if (await this.store.stat(key)) return key;
    let pending = this.building.get(key);
    if (!pending) {
      // The PDFs of many items asked at once (by anyone: a public item's PDF needs no sign-in) must not
      // fill the render pool: one build at a time, a few waiting, the rest told to come back.
      if (this.running && this.turns.length >= WAITING_BUILDS) {
        throw new ServiceUnavailableError('documents are being prepared as PDFs for other readers; try again in a minute', 60, 'overloaded');
      }
      pending = this.inTurn(() => this.build(item, key)).finally(() => this.building.delete(key));
      this.building.set(key, pending);
    }
    return pending;
  }

  private async inTurn<T>(work: () => Promise<T>): Promise<T> {
    if (this.running) await new Promise<void>((resolve) => this.turns.push(resolve));
    this.running = true;
    try {
      return await work();
    } finally {
      const next = this.turns.shift();
      if (next) next();
      else this.running = false;
    }
  }

  private async build(item: Item, key: string): Promise<string> {
    const pdf = await PDFDocument.create();
    pdf.setTitle(item.description.title.vi);
    if (item.description.creators.length > 0) pdf.setAuthor(item.description.creators.join('; '));
    pdf.setSubject(item.description.summary?.vi ?? item.description.title.vi);
    pdf.setProducer('Văn Khố');
    pdf.setCreator('Văn Khố');
    for (const c of item.canvases) {
      const jpg = await pdf.embedJpg(await this.pageJpeg(c.image, this.opts.maxSide));
      const points = 72 / this.opts.dpi;
      const page = pdf.addPage([jpg.width * points, jpg.height * points]);
      page.drawImage(jpg, { x: 0, y: 0, width: page.getWidth(), height: page.getHeight() });
    }
    await this.store.put(key, Buffer.from(await pdf.save()));
    return key;
  }
}
