/**
 * The archive service: the one layer between HTTP routes and the catalogue, the blob store and the
 * search index. Every read takes the requesting identity; this is the only caller of the access policy
 * (`auth/policy.ts`) and the only place outside `storage/` and `ingest/` that knows where OCR text,
 * ALTO and PDFs are stored. Routes stay thin: parse, call one method here, send.
 *
 * Denials become errors here, in one place: `login` → UnauthorizedError (401), `forbidden` →
 * ForbiddenError (403), `hidden` → NotFoundError (404, as for an identifier nobody holds).
 */
import type { Readable } from 'node:stream';
import { denial } from '../auth/denial.js';
import { decide, isStaffOf, type Action, type Decision, type Identity, type Resource, ANONYMOUS } from '../auth/policy.js';
import type { Catalogue, EffectiveAccess, Item, ItemSummary, Page, StaffScope } from '../catalogue/catalogue.js';
import type { Collection, Library } from '../catalogue/schema.js';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import { ocrKeys, type OcrPage } from '../storage/layout.js';
import { ACCESS_LEVELS } from '../auth/policy.js';
import type { AccessScope, Facet, FacetCount, PageDoc, SearchFilters, SearchIndex, SearchSort, TermCount } from '../search/index.js';
import { Indexer } from '../search/indexer.js';
import { snippet, type Snippet } from '../search/match.js';
import type { ParsedQuery } from '../search/query.js';

export interface ArchiveOptions {
  /** Long side allowed to anonymous readers of `public-reduced` items. */
  readonly reducedMaxPx: number;
  /** Access to an image that no item shows (added with `vankho image add`, or left by a deleted item). */
  readonly unattachedImages: 'public' | 'staff';
  /** Today as YYYY-MM-DD (a clock, so tests can move embargoes). */
  readonly today?: () => string;
}

/** What a reader may do with an item's content, carried by listings and item reads. */
export type Content = Decision['effect'];

export interface ItemView {
  readonly item: Item;
  /** The reader's decision for the item's content (read). */
  readonly content: Decision;
}

/** An item by its identity, holder and access: what a check needs, without its pages. */
export interface ItemRef {
  readonly id: string;
  readonly library: string;
  readonly access: EffectiveAccess;
}

export interface SummaryView extends ItemSummary {
  readonly content: Content;
}

export interface CatalogueSearch {
  readonly query: ParsedQuery;
  readonly filters: SearchFilters;
  readonly sort: SearchSort;
  readonly offset: number;
  readonly limit: number;
}

export interface ResultItem {
  readonly summary: SummaryView;
  readonly recordMatched: boolean;
  /** Pages whose text matches (of those the reader may read). */
  readonly pageHits: number;
  /** Best matching pages with a highlighted snippet each. */
  readonly pages: readonly { readonly canvas: number; readonly snippet: Snippet }[];
}

export interface CatalogueResults {
  readonly total: number;
  readonly items: readonly ResultItem[];
  /** Counts over every matching item the reader may see (not just this page), most frequent first. */
  readonly facets: Partial<Record<Facet, readonly FacetCount[]>>;
  readonly years: { readonly min: number; readonly max: number } | null;
}

/** Snippets shown per result item. */
const SNIPPET_PAGES = 3;

const todayUtc = () => new Date().toISOString().slice(0, 10);


export class Archive {
  private libraryParents: Map<string, string | null> | null = null;
  /** Keeps the search index in step with the writes made here. */
  readonly indexer: Indexer;

  constructor(
    private readonly catalogue: Catalogue,
    private readonly store: BlobStore,
    private readonly index: SearchIndex,
    private readonly opts: ArchiveOptions,
  ) {
    this.indexer = new Indexer(catalogue, store, index);
  }

  // ---- the policy, asked ---------------------------------------------------------------------------

  private async librariesUp(library: string): Promise<string[]> {
    // Reloaded when a library is unknown to it (added by another process, the CLI, ingest).
    if (!this.libraryParents || !this.libraryParents.has(library)) {
      this.libraryParents = new Map((await this.catalogue.listLibraries()).map((l) => [l.id, l.parent && l.parent !== l.id ? l.parent : null]));
    }
    const chain: string[] = [];
    for (let l: string | null | undefined = library; l && !chain.includes(l); l = this.libraryParents.get(l)) chain.push(l);
    return chain;
  }

  private async resource(access: EffectiveAccess, library: string): Promise<Resource> {
    return { level: access.level, embargoUntil: access.embargoUntil, libraries: await this.librariesUp(library) };
  }

  private decide(identity: Identity, resource: Resource, action: Action): Decision {
    return decide(identity, resource, action, { reducedMaxPx: this.opts.reducedMaxPx, today: (this.opts.today ?? todayUtc)() });
  }

  private async require(identity: Identity, access: EffectiveAccess, library: string, action: Action, notFound: () => Error): Promise<Decision> {
    const d = this.decide(identity, await this.resource(access, library), action);
    if (d.effect === 'deny') throw denial(d, notFound);
    return d;
  }

  /**
   * Whether anyone at all may read content under this access (then shared caches may keep it): the
   * policy's answer for an anonymous reader outside the reading room.
   */
  openToAll(access: EffectiveAccess): boolean {
    return this.decide(ANONYMOUS, { level: access.level, embargoUntil: access.embargoUntil, libraries: [] }, 'read').effect === 'allow';
  }

  /** Which staff-level records listings may show this identity. */
  private async staffScope(identity: Identity): Promise<StaffScope> {
    const u = identity.user;
    if (!u) return [];
    if (u.roles.includes('admin')) return 'all';
    if (!u.roles.includes('librarian') || !u.library) return [];
    const all = await this.catalogue.listLibraries();
    const below: string[] = [];
    for (const l of all) if ((await this.librariesUp(l.id)).includes(u.library)) below.push(l.id);
    return below;
  }

  // ---- catalogue reads ------------------------------------------------------------------------------

  /**
   * What a kept manifest depends on (version and effective access), for a reader who may discover the
   * item: checked without loading its pages. @throws NotFoundError
   */
  async itemStamp(identity: Identity, id: string): Promise<string> {
    const s = await this.catalogue.getItemStamp(id);
    await this.require(identity, s.access, s.library, 'discover', () => new NotFoundError(`no item "${id}"`, 'unknown_item'));
    return `${s.version}|${s.access.level}|${s.access.embargoUntil}`;
  }

  /** An item the reader may discover, with the decision for its content. @throws NotFoundError */
  async item(identity: Identity, id: string): Promise<ItemView> {
    const item = await this.catalogue.getItem(id);
    await this.require(identity, item.access, item.library, 'discover', () => new NotFoundError(`no item "${id}"`, 'unknown_item'));
    return { item, content: this.decide(identity, await this.resource(item.access, item.library), 'read') };
  }

  /** An item whose content the reader may read (fully or reduced). @throws Unauthorized/Forbidden/NotFound */
  async readableItem(identity: Identity, id: string): Promise<ItemView> {
    const view = await this.item(identity, id);
    if (view.content.effect === 'deny') throw denial(view.content, () => new NotFoundError(`no item "${id}"`, 'unknown_item'));
    return view;
  }

  async library(identity: Identity, id: string): Promise<Library> {
    void identity; // libraries are public records; their contents are filtered per reader
    return this.catalogue.getLibrary(id);
  }

  async collection(identity: Identity, id: string): Promise<Collection & { access: EffectiveAccess }> {
    const c = await this.catalogue.getCollection(id);
    await this.require(identity, c.access, c.library, 'discover', () => new NotFoundError(`no collection "${id}"`, 'unknown_collection'));
    return c;
  }

  async libraries(identity: Identity): Promise<Library[]> {
    void identity;
    return this.catalogue.listLibraries();
  }

  async collections(identity: Identity, library: string, parent: string | null): Promise<(Collection & { access: EffectiveAccess })[]> {
    return this.catalogue.listCollections(library, parent, await this.staffScope(identity));
  }

  /** Items of a collection (or all) that the reader may discover, each saying whether its content may be read. */
  async items(identity: Identity, collection: string | null, offset: number, limit: number): Promise<Page<SummaryView>> {
    const page = await this.catalogue.listItems({ collection, offset, limit, staffScope: await this.staffScope(identity) });
    const items = await Promise.all(page.items.map(async (s) => ({ ...s, content: this.decide(identity, await this.resource(s.access, s.library), 'read').effect })));
    return { total: page.total, items };
  }

  // ---- content ---------------------------------------------------------------------------------------

  /** Stored OCR of an item's page (its lines and words). @throws as readableItem; NotFoundError (no OCR) */
  async ocr(identity: Identity, itemId: string, n: number): Promise<{ item: Item; page: OcrPage }> {
    const { item } = await this.readableItem(identity, itemId);
    const key = ocrKeys(canvasOf(item, n).image).lines;
    if (!(await this.store.stat(key))) throw new NotFoundError(`page ${n} of "${item.id}" has no recognised text`, 'no_ocr');
    return { item, page: JSON.parse((await this.store.read(key)).toString('utf8')) as OcrPage };
  }

  /**
   * The stored OCR of several pages of an item already looked up for this reader (`item(identity, id)`):
   * the item is not read again per page. null for a page without OCR.
   * @throws ForbiddenError/UnauthorizedError when the view denies the content; NotFoundError (no such page)
   */
  async ocrOfPages(view: ItemView, pages: readonly number[]): Promise<Map<number, OcrPage | null>> {
    if (view.content.effect === 'deny') throw denial(view.content, () => new NotFoundError(`no item "${view.item.id}"`, 'unknown_item'));
    const out = new Map<number, OcrPage | null>();
    for (const n of pages) {
      const key = ocrKeys(canvasOf(view.item, n).image).lines;
      out.set(n, (await this.store.stat(key)) ? (JSON.parse((await this.store.read(key)).toString('utf8')) as OcrPage) : null);
    }
    return out;
  }

  /** The ALTO XML of a page as the OCR engine wrote it, with its item. */
  async alto(identity: Identity, itemId: string, n: number): Promise<{ item: Item; alto: Buffer }> {
    const { item } = await this.readableItem(identity, itemId);
    const key = ocrKeys(canvasOf(item, n).image).alto;
    if (!(await this.store.stat(key))) throw new NotFoundError(`page ${n} of "${item.id}" has no recognised text`, 'no_ocr');
    return { item, alto: await this.store.read(key) };
  }

  /** Pages of an item that have OCR (for the manifest's annotation links). Not access-checked: metadata. */
  async pagesWithOcr(item: Item): Promise<Set<number>> {
    const found = await Promise.all(item.canvases.map(async (c) => ((await this.store.stat(ocrKeys(c.image).lines)) ? c.position : 0)));
    return new Set(found.filter((n) => n > 0));
  }

  /** Opens a stored file by key for streaming, with its size and time (PDFs). */
  async openStored(key: string): Promise<{ stream: () => Readable; size: number; modified: Date }> {
    const st = await this.store.stat(key);
    if (!st) throw new NotFoundError('the file went away', 'not_found');
    return { stream: () => this.store.readStream(key), size: st.size, modified: new Date(Math.floor(st.mtimeMs / 1000) * 1000) };
  }

  /**
   * Access to an image: the most open decision among the items that show it (an image on a public
   * item's page is public, whatever else shows it); for an image no item shows, `unattachedImages`.
   */
  async imageAccess(identity: Identity, imageId: string): Promise<Decision> {
    const items = await this.catalogue.accessOfImage(imageId);
    if (items.length === 0) {
      if (this.opts.unattachedImages === 'public' || identity.user?.roles.includes('admin') || identity.user?.roles.includes('librarian')) return { effect: 'allow' };
      return { effect: 'deny', reason: 'hidden', message: `no image with identifier "${imageId}"` };
    }
    let best: Decision | null = null;
    for (const item of items) {
      const d = this.decide(identity, await this.resource(item.access, item.library), 'read');
      if (d.effect === 'allow') return d;
      if (!best || rank(d) > rank(best)) best = d;
    }
    return best!;
  }

  // ---- search ----------------------------------------------------------------------------------------

  /**
   * What a reader may find, as the search backends apply it: the policy's answer for each level (no
   * library in the chain, so no staff rights), plus the libraries whose staff the reader is.
   */
  searchScope(identity: Identity): AccessScope {
    const levels = (action: Action) => ACCESS_LEVELS.filter((level) => this.decide(identity, { level, embargoUntil: null, libraries: [] }, action).effect !== 'deny');
    const u = identity.user;
    return {
      discover: levels('discover'),
      read: levels('read'),
      staffOf: u?.roles.includes('admin') ? 'all' : u?.roles.includes('librarian') && u.library ? [u.library] : [],
      today: (this.opts.today ?? todayUtc)(),
    };
  }

  /**
   * The catalogue and the page text: items the reader may discover whose record matches, or whose
   * pages they may read match; facets and counts over those alone, before paging.
   */
  async search(identity: Identity, req: CatalogueSearch): Promise<CatalogueResults> {
    const found = await this.index.search({ ...req, facets: true, pagesPerItem: SNIPPET_PAGES, scope: this.searchScope(identity) });
    const ids = found.items.map((i) => i.itemId);
    const listed = ids.length > 0 ? await this.catalogue.listItems({ collection: null, offset: 0, limit: ids.length, staffScope: 'all', ids }) : { items: [] };
    const byId = new Map(listed.items.map((s) => [s.id, s]));
    const items: ResultItem[] = [];
    for (const m of found.items) {
      const s = byId.get(m.itemId);
      // Indexed but gone from the catalogue (deleted by another process before the index caught up).
      if (!s) continue;
      // The catalogue has the last word: an index that lags an edit (a cluster that failed a write, a
      // rebuild that overlapped it) must not show what the item's access now hides.
      const resource = await this.resource(s.access, s.library);
      if (this.decide(identity, resource, 'discover').effect === 'deny') continue;
      const content = this.decide(identity, resource, 'read').effect;
      if (!m.recordMatched && content === 'deny') continue;
      items.push({
        summary: { ...s, content },
        recordMatched: m.recordMatched,
        pageHits: content === 'deny' ? 0 : m.pageHits,
        pages: content === 'deny' ? [] : m.pages.map((p) => ({ canvas: p.canvas, snippet: snippet(p.text, req.query) })),
      });
    }
    // Collections the reader may not discover are not offered as filters (their items may be open).
    const collections = [];
    for (const c of found.facets.collection ?? []) {
      const col = await this.catalogue.getCollection(c.value).catch(() => null);
      if (col && this.decide(identity, await this.resource(col.access, col.library), 'discover').effect !== 'deny') collections.push(c);
    }
    const facets = found.facets.collection ? { ...found.facets, collection: collections } : found.facets;
    return { total: found.total, items, facets, years: found.years };
  }

  /**
   * An item whose content the reader may read, by its stamp alone (no pages loaded: Content Search on a
   * 500-page book asks this on every request). @throws as readableItem
   */
  async readableRef(identity: Identity, id: string): Promise<ItemRef> {
    const s = await this.catalogue.getItemStamp(id);
    const notFound = () => new NotFoundError(`no item "${id}"`, 'unknown_item');
    await this.require(identity, s.access, s.library, 'discover', notFound);
    await this.require(identity, s.access, s.library, 'read', notFound);
    return { id, library: s.library, access: s.access };
  }

  /** Pages of one item whose text matches (IIIF Content Search). @throws as readableItem */
  async searchInItem(identity: Identity, itemId: string, query: ParsedQuery, limit: number): Promise<{ item: ItemRef; pages: PageDoc[] }> {
    const item = await this.readableRef(identity, itemId);
    return { item, pages: await this.index.searchItem(itemId, query, limit) };
  }

  /** Words of an item's text starting with a folded prefix (Content Search autocomplete). @throws as readableItem */
  async suggestInItem(identity: Identity, itemId: string, prefix: string, limit: number): Promise<{ item: ItemRef; terms: TermCount[] }> {
    const item = await this.readableRef(identity, itemId);
    return { item, terms: await this.index.suggest(itemId, prefix, limit) };
  }

  /**
   * The recognised text of some of an item's pages (`offset`, `limit` among the pages that have text),
   * for the full-text view, and how many pages have text. @throws as readableItem
   */
  async itemText(identity: Identity, itemId: string, offset = 0, limit = Infinity): Promise<{ item: Item; total: number; pages: { canvas: number; text: string }[] }> {
    const { item } = await this.readableItem(identity, itemId);
    const canvases = await this.index.pagesWithText(item.id);
    const pages: { canvas: number; text: string }[] = [];
    for (const canvas of canvases.slice(offset, offset + limit)) {
      const p = await this.index.getPage(item.id, canvas);
      if (p) pages.push({ canvas, text: p.text });
    }
    return { item, total: canvases.length, pages };
  }

  /** How many of an item's pages have text (the index's count: no page read). Not access-checked: metadata. */
  async textPageCount(item: Item): Promise<number> {
    return (await this.index.pagesWithText(item.id)).length;
  }

  // ---- writes (staff) --------------------------------------------------------------------------------

  /** @throws UnauthorizedError / ForbiddenError unless the identity is staff of `library`. */
  async requireStaff(identity: Identity, library: string): Promise<void> {
    if (!isStaffOf(identity, await this.librariesUp(library))) {
      throw identity.user ? new ForbiddenError(`only staff of library "${library}" may do this`) : new UnauthorizedError('sign in as library staff (or send the staff key) to do this');
    }
  }

  /** Staff of any library (or admin): may reach the staff tools at all. */
  requireAnyStaff(identity: Identity): void {
    const roles = identity.user?.roles ?? [];
    if (!roles.includes('admin') && !roles.includes('librarian')) {
      throw identity.user ? new ForbiddenError('only library staff may do this') : new UnauthorizedError('sign in as library staff (or send the staff key) to do this');
    }
  }

  async putLibrary(identity: Identity, input: Record<string, unknown>): Promise<Library> {
    // A new library, or one's place in the tree, is an administrator's decision.
    const existing = await this.catalogue.getLibrary(String(input.id)).catch(() => null);
    if (!existing || existing.parent !== (input.parent ?? null)) {
      if (!identity.user?.roles.includes('admin')) {
        throw identity.user ? new ForbiddenError('only an administrator may add a library or move one') : new UnauthorizedError('sign in as an administrator to do this');
      }
    } else {
      await this.requireStaff(identity, existing.id);
    }
    const lib = await this.catalogue.putLibrary(input);
    this.libraryParents = null;
    if (existing) await this.indexer.libraryChanged(lib.id);
    return lib;
  }

  async putCollection(identity: Identity, input: Record<string, unknown>): Promise<Collection> {
    const existing = await this.catalogue.getCollection(String(input.id)).catch(() => null);
    if (existing) await this.requireStaff(identity, existing.library);
    if (typeof input.library === 'string') await this.requireStaff(identity, input.library);
    else this.requireAnyStaff(identity);
    const saved = await this.catalogue.putCollection(input);
    if (existing) await this.indexer.collectionChanged(saved.id);
    return saved;
  }

  async putItem(identity: Identity, input: Record<string, unknown>): Promise<Item> {
    const existing = await this.catalogue.getItem(String(input.id)).catch(() => null);
    if (existing) await this.requireStaff(identity, existing.library);
    await this.requireStaffOfCollection(identity, input.collection);
    // A page may show an image another item shows only when the writer is staff of that item's library
    // too: otherwise a librarian could publish another library's restricted images under an open item.
    const canvases = Array.isArray(input.canvases) ? (input.canvases as { image?: unknown }[]) : [];
    for (const image of new Set(canvases.map((c) => c?.image).filter((i): i is string => typeof i === 'string'))) {
      for (const shown of await this.catalogue.accessOfImage(image)) {
        if (shown.item === input.id) continue;
        if (!isStaffOf(identity, await this.librariesUp(shown.library))) {
          throw new ForbiddenError(`image "${image}" belongs to an item of another library ("${shown.item}"); only its staff may show it elsewhere`);
        }
      }
    }
    const saved = await this.catalogue.putItem(input);
    // Pages are read from the stored OCR again only when they may have changed (a new item, other
    // images): a corrected title of a 500-page book re-puts its record, not its 500 pages.
    const images = (i: Item) => i.canvases.map((c) => c.image).join('\n');
    await this.indexer.item(saved.id, { pages: !existing || images(existing) !== images(saved) });
    return saved;
  }

  /** Removes an item from the catalogue and the search index (its images and OCR stay stored). */
  async deleteItem(identity: Identity, id: string): Promise<void> {
    const item = await this.staffItem(identity, id);
    await this.catalogue.deleteItem(item.id);
    await this.indexer.remove(item.id);
  }

  /** Staff of the library that holds the collection. @throws BadRequest-free: an unknown collection is a 404 */
  async requireStaffOfCollection(identity: Identity, collection: unknown): Promise<void> {
    if (typeof collection !== 'string') return this.requireAnyStaff(identity);
    const c = await this.catalogue.getCollection(collection).catch(() => null);
    if (!c) {
      this.requireAnyStaff(identity);
      return;
    }
    await this.requireStaff(identity, c.library);
  }

  /**
   * Staff reads of a record as stored (the staff API's GET): staff of its library. An unknown id is a
   * 404 for staff only; others learn nothing from it (401/403, as for one that exists).
   */
  private async staffRecord<T>(identity: Identity, load: () => Promise<T>, libraryOf: (record: T) => string): Promise<T> {
    const record = await load().catch((err: unknown) => {
      if (err instanceof NotFoundError) this.requireAnyStaff(identity);
      throw err;
    });
    await this.requireStaff(identity, libraryOf(record));
    return record;
  }

  staffItem(identity: Identity, id: string): Promise<Item> {
    return this.staffRecord(identity, () => this.catalogue.getItem(id), (i) => i.library);
  }

  staffCollection(identity: Identity, id: string): Promise<Collection> {
    return this.staffRecord(identity, () => this.catalogue.getCollection(id), (c) => c.library);
  }

  async staffLibrary(identity: Identity, id: string): Promise<Library> {
    this.requireAnyStaff(identity);
    const l = await this.catalogue.getLibrary(id);
    await this.requireStaff(identity, l.id);
    return l;
  }
}

function rank(d: Decision): number {
  return d.effect === 'allow' ? 3 : d.effect === 'reduced' ? 2 : d.reason === 'login' ? 1 : 0;
}

export function canvasOf(item: Item, n: number) {
  const canvas = item.canvases.find((c) => c.position === n);
  if (!canvas) throw new NotFoundError(`item "${item.id}" has no page ${n}`, 'unknown_canvas');
  return canvas;
}
