/**
 * Keeps the search index in step with the catalogue and the stored OCR: the one place that turns an
 * item into a RecordDoc and its pages into PageDocs. Called after every write that changes what is
 * searched (ingest, catalogue edits through the archive, the demo) and by `vankho reindex`.
 *
 * A record carries the item's *effective* access and the libraries above it, so a level or embargo set
 * on a library or collection re-puts the records under it (`collectionChanged`, `libraryChanged`).
 */
import type { Catalogue, EffectiveAccess, Item } from '../catalogue/catalogue.js';
import type { Collection, Library } from '../catalogue/schema.js';
import type { BlobStore } from '../storage/blob-store.js';
import { ocrKeys, type OcrPage } from '../storage/layout.js';
import { NotFoundError } from '../errors.js';
import { fold } from './fold.js';
import type { IndexSink, PageDoc, RecordDoc, SearchIndex } from './index.js';

export class Indexer {
  constructor(
    private readonly catalogue: Catalogue,
    private readonly store: BlobStore,
    private readonly index: SearchIndex,
  ) {}

  private async librariesUp(library: string): Promise<string[]> {
    const chain: string[] = [];
    for (let l: string | null = library; l && !chain.includes(l); ) {
      chain.push(l);
      const lib: Library | null = await this.catalogue.getLibrary(l).catch(() => null);
      l = lib?.parent && lib.parent !== l ? lib.parent : null;
    }
    return chain;
  }

  private async collectionsUp(collection: string): Promise<{ ids: string[]; labels: string[] }> {
    const ids: string[] = [];
    const labels: string[] = [];
    for (let c: string | null = collection; c && !ids.includes(c); ) {
      const col: (Collection & { access: EffectiveAccess }) | null = await this.catalogue.getCollection(c).catch(() => null);
      ids.push(c);
      if (!col) break;
      // A staff-only collection's name is not for readers' searches (its items may be public).
      if (col.access.level !== 'staff') labels.push(col.label.vi, ...(col.label.en ? [col.label.en] : []));
      c = col.parent;
    }
    return { ids, labels };
  }

  /** The OCR of each page that has any, as page documents. */
  async pageDocs(item: Item): Promise<PageDoc[]> {
    const docs: PageDoc[] = [];
    for (const c of item.canvases) {
      const key = ocrKeys(c.image).lines;
      if (!(await this.store.stat(key))) continue;
      const page = JSON.parse((await this.store.read(key)).toString('utf8')) as OcrPage;
      docs.push({ itemId: item.id, canvas: c.position, imageId: c.image, language: page.language, text: page.lines.map((l) => l.text).join('\n'), lines: page.lines });
    }
    return docs;
  }

  async recordDoc(item: Item, hasText: boolean): Promise<RecordDoc> {
    const d = item.description;
    const library = await this.catalogue.getLibrary(item.library);
    const collections = await this.collectionsUp(item.collection);
    const t = d.title;
    return {
      itemId: item.id,
      library: item.library,
      collections: collections.ids,
      kind: item.kind,
      languages: d.languages,
      scripts: d.scripts,
      dateFrom: d.date?.from ?? d.date?.to ?? null,
      dateTo: d.date?.to ?? d.date?.from ?? null,
      access: { level: item.access.level, embargoUntil: item.access.embargoUntil, libraries: await this.librariesUp(item.library) },
      hasText,
      title: [t.vi, t.original, t.en, ...d.alternativeTitles].filter((x): x is string => !!x),
      subjects: [...d.subjects, ...d.places],
      description: [d.summary?.vi, d.summary?.en, ...d.creators, d.extent, d.date?.text].filter((x): x is string => !!x),
      other: [d.callNumber, library.name.vi, library.name.en, ...collections.labels, d.source].filter((x): x is string => !!x),
      sortTitle: fold(t.vi),
      updatedAt: item.updatedAt,
    };
  }

  /** Re-puts an item's record, and its pages from the stored OCR when `pages` (after ingest). */
  async item(itemId: string, opts: { pages: boolean } = { pages: false }): Promise<void> {
    const item = await this.catalogue.getItem(itemId);
    await this.write(item, this.index, opts.pages);
  }

  private async write(item: Item, sink: IndexSink & Partial<Pick<SearchIndex, 'trimItem'>>, pages: boolean): Promise<void> {
    let hasText: boolean;
    if (pages) {
      const docs = await this.pageDocs(item);
      // Pages whose image changed to one without text must not keep the old text: all go, then these.
      await sink.trimItem?.(item.id, 0);
      for (const p of docs) await sink.putPage(p);
      hasText = docs.length > 0;
    } else {
      // Its pages are indexed already: the index says whether any has text (no file looked at).
      hasText = (await this.index.pagesWithText(item.id)).length > 0;
    }
    await sink.putRecord(await this.recordDoc(item, hasText));
  }

  async remove(itemId: string): Promise<void> {
    await this.index.removeItem(itemId);
  }

  /** Records of every item in the collection or under it (its access or label changed). */
  async collectionChanged(collection: string): Promise<void> {
    for (const id of await this.itemIds()) {
      const item = await this.catalogue.getItem(id);
      if ((await this.collectionsUp(item.collection)).ids.includes(collection)) await this.write(item, this.index, false);
    }
  }

  /** Records of every item the library holds, or a library under it holds. */
  async libraryChanged(library: string): Promise<void> {
    for (const id of await this.itemIds()) {
      const item = await this.catalogue.getItem(id);
      if ((await this.librariesUp(item.library)).includes(library)) await this.write(item, this.index, false);
    }
  }

  private async itemIds(): Promise<string[]> {
    const ids: string[] = [];
    for (let offset = 0; ; offset += 500) {
      const page = await this.catalogue.listItems({ collection: null, offset, limit: 500, staffScope: 'all' });
      ids.push(...page.items.map((i) => i.id));
      if (page.items.length < 500) return ids;
    }
  }

  /** Rebuilds the whole index from the catalogue and stored OCR; `progress(done, total, id)` after each item. */
  async rebuild(progress?: (done: number, total: number, itemId: string) => void): Promise<{ records: number; pages: number }> {
    const ids = await this.itemIds();
    await this.index.rebuild(async (sink) => {
      for (const [n, id] of ids.entries()) {
        // Deleted since the list was read (a long rebuild on Elasticsearch takes no lock): skipped.
        const item = await this.catalogue.getItem(id).catch((err: unknown) => {
          if (err instanceof NotFoundError) return null;
          throw err;
        });
        if (item) await this.write(item, sink, true);
        progress?.(n + 1, ids.length, id);
      }
    });
    return this.index.stats();
  }
}
