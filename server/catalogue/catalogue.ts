/**
 * The Catalogue seam: libraries, nested collections, items with their pages (canvases) and description.
 * Async, so that a remote backend can stand behind it. Every write is validated with the zod schemas of
 * schema.ts (BadRequestError naming the field) and checked against what exists (unknown library,
 * collection or image → BadRequestError). Reads of unknown ids throw NotFoundError.
 *
 * Access levels are stored where they are set (null: inherit); the catalogue also keeps each item's and
 * collection's *effective* level and embargo (the nearest set above it), recomputed on every write, so
 * that listings can be filtered in the query. It never decides access: `auth/policy.ts` does.
 * Backend: SQLite (better-sqlite3) — sqlite-catalogue.ts.
 */
import type { AccessLevel } from '../auth/policy.js';
import type { Collection, Description, Library, Range } from './schema.js';

export interface Canvas {
  readonly position: number;
  readonly image: string;
  readonly width: number;
  readonly height: number;
  readonly label: string | null;
}

/** Access as it applies: the level and embargo set here or inherited. */
export interface EffectiveAccess {
  readonly level: AccessLevel;
  readonly embargoUntil: string | null;
}

export interface Item {
  readonly id: string;
  readonly collection: string;
  readonly library: string;
  readonly kind: string;
  /** Set on the item itself; null inherits. */
  readonly accessLevel: AccessLevel | null;
  readonly embargoUntil: string | null;
  readonly access: EffectiveAccess;
  readonly description: Description;
  readonly canvases: readonly Canvas[];
  readonly structures: readonly Range[];
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Increases with every write: part of ETags and cache keys. */
  readonly version: number;
}

export interface ItemSummary {
  readonly id: string;
  readonly collection: string;
  readonly library: string;
  readonly title: Description['title'];
  readonly date: Description['date'] | null;
  readonly kind: string;
  readonly access: EffectiveAccess;
  readonly firstImage: string;
  /** Size of the first page's image (its canvas). */
  readonly firstImageSize: { readonly width: number; readonly height: number };
  readonly pages: number;
  readonly updatedAt: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly total: number;
}

/**
 * Which staff-level records a listing may include: those of these libraries, or all of them. Decided by
 * the policy (`listingScope`), applied by the catalogue's query.
 */
export type StaffScope = 'all' | readonly string[];

export interface ItemQuery {
  /** null: every collection. */
  readonly collection: string | null;
  readonly offset: number;
  readonly limit: number;
  readonly staffScope: StaffScope;
  /** Only these items (search results); order is the caller's. */
  readonly ids?: readonly string[];
}

/** An open entry of the image replacement journal. */
export interface ImageChange {
  readonly imageId: string;
  readonly owner: string;
  readonly startedAt: string;
}

/** Looks up the size of a stored image; null when there is none. */
export type ImageSizeLookup = (imageId: string) => Promise<{ width: number; height: number } | null>;

export interface Catalogue {
  /** @throws BadRequestError for bad fields or an unknown parent. */
  putLibrary(input: unknown): Promise<Library>;
  putCollection(input: unknown): Promise<Collection>;
  /** @throws BadRequestError for bad fields, an unknown collection or an unknown page image. */
  putItem(input: unknown): Promise<Item>;
  /** @throws NotFoundError */
  getLibrary(id: string): Promise<Library>;
  /** @throws NotFoundError */
  getCollection(id: string): Promise<Collection & { readonly access: EffectiveAccess }>;
  /** @throws NotFoundError */
  getItem(id: string): Promise<Item>;
  /** The item's version alone (cheap): changes with every write. @throws NotFoundError */
  getItemVersion(id: string): Promise<number>;
  /** Version, library and effective access alone (cheap: no pages): for kept manifests. @throws NotFoundError */
  getItemStamp(id: string): Promise<{ readonly version: number; readonly library: string; readonly access: EffectiveAccess }>;
  listLibraries(): Promise<Library[]>;
  /** Child collections of a library's top level (`parent` null) or of a collection. */
  listCollections(library: string, parent: string | null, staffScope: StaffScope): Promise<(Collection & { readonly access: EffectiveAccess })[]>;
  listItems(query: ItemQuery): Promise<Page<ItemSummary>>;
  /** Removes an item and its pages (not their images). @throws NotFoundError */
  deleteItem(id: string): Promise<void>;
  /** Effective access and library of each item showing this image: one cheap query per image request. */
  accessOfImage(imageId: string): Promise<{ readonly item: string; readonly library: string; readonly access: EffectiveAccess }[]>;
  /**
   * Journal of image replacement, one entry per image and writing process (`owner`, storage/owner.ts):
   * `beginImageChanges` before anything of the new image is stored; `settleImageChanges` once the
   * record has switched and the old files are gone: the pages showing each image take the size its
   * record now has (their items' versions move on) and the entries close. Returns the items changed.
   * Entries a killed process left open are listed by `openImageChanges` and settled at start.
   */
  /** @throws ConflictError when another owner's entry for one of the images is open and `stillOpen` says it is live. */
  beginImageChanges(imageIds: readonly string[], owner: string, stillOpen?: (change: ImageChange) => boolean): Promise<void>;
  openImageChanges(): Promise<ImageChange[]>;
  settleImageChanges(imageIds: readonly string[], owner: string): Promise<number>;
  /** Latest change anywhere: for collection ETags. */
  lastModified(): Promise<string>;
}
