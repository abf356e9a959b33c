/**
 * Catalogue: libraries, nested collections, items with their pages (canvases) and description.
 * Every write is validated with the zod schemas of schema.ts (BadRequestError naming the field) and
 * checked against what exists (unknown library, collection or image → BadRequestError).
 * Backend: SQLite (better-sqlite3) — SqliteCatalogue.
 */
import { BadRequestError, NotFoundError } from '../errors.js';
import type { Db, Migration } from '../storage/sqlite.js';
import { parseOrThrow } from '../validation.js';
import {
  CollectionSchema,
  ItemSchema,
  LibrarySchema,
  type Collection,
  type CollectionInput,
  type Description,
  type ItemInput,
  type Library,
  type LibraryInput,
  type Range,
} from './schema.js';

export interface Canvas {
  readonly position: number;
  readonly image: string;
  readonly width: number;
  readonly height: number;
  readonly label: string | null;
}

export interface Item {
  readonly id: string;
  readonly collection: string;
  readonly library: string;
  readonly kind: string;
  readonly accessLevel: string;
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
  readonly title: Description['title'];
  readonly kind: string;
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

/** Looks up the size of a stored image; null when there is none. */
export type ImageSizeLookup = (imageId: string) => Promise<{ width: number; height: number } | null>;

export interface Catalogue {
  putLibrary(input: unknown): Library;
  putCollection(input: unknown): Collection;
  /** @throws BadRequestError for bad fields, an unknown collection or an unknown page image. */
  putItem(input: unknown): Promise<Item>;
  getLibrary(id: string): Library;
  getCollection(id: string): Collection;
  /** @throws NotFoundError */
  getItem(id: string): Item;
  /** The item's version alone (cheap): changes with every write. @throws NotFoundError */
  getItemVersion(id: string): number;
  listLibraries(): Library[];
  /** Child collections of a library's top level (`parent` null) or of a collection. */
  listCollections(library: string, parent: string | null): Collection[];
  listItems(collection: string | null, offset: number, limit: number): Page<ItemSummary>;
  /** Latest change anywhere: for collection ETags. */
  lastModified(): string;
}

export const CATALOGUE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'catalogue',
    sql: `
      CREATE TABLE libraries (
        id TEXT PRIMARY KEY,
        parent_id TEXT REFERENCES libraries(id),
        data TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE collections (
        id TEXT PRIMARY KEY,
        library_id TEXT NOT NULL REFERENCES libraries(id),
        parent_id TEXT REFERENCES collections(id),
        position INTEGER NOT NULL DEFAULT 0,
        data TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX collections_by_parent ON collections(library_id, parent_id, position);
      CREATE TABLE items (
        id TEXT PRIMARY KEY,
        collection_id TEXT NOT NULL REFERENCES collections(id),
        kind TEXT NOT NULL,
        access_level TEXT NOT NULL,
        description TEXT NOT NULL,
        structures TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        version INTEGER NOT NULL
      );
      CREATE INDEX items_by_collection ON items(collection_id, id);
      CREATE TABLE canvases (
        item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        image_id TEXT NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        label TEXT,
        PRIMARY KEY (item_id, position)
      );
    `,
  },
];

interface ItemRow {
  id: string;
  collection_id: string;
  library_id: string;
  kind: string;
  access_level: string;
  description: string;
  structures: string;
  created_at: string;
  updated_at: string;
  version: number;
}

export class SqliteCatalogue implements Catalogue {
  constructor(
    private readonly db: Db,
    private readonly imageSize: ImageSizeLookup,
  ) {}

  putLibrary(input: unknown): Library {
    const lib = parseOrThrow(LibrarySchema, input, 'library');
    if (lib.parent !== null && lib.parent !== lib.id) this.getLibrary(lib.parent);
    this.db
      .prepare(
        `INSERT INTO libraries (id, parent_id, data, updated_at) VALUES (@id, @parent, @data, @now)
         ON CONFLICT(id) DO UPDATE SET parent_id = @parent, data = @data, updated_at = @now`,
      )
      .run({ id: lib.id, parent: lib.parent, data: JSON.stringify(lib), now: new Date().toISOString() });
    return lib;
  }

  putCollection(input: unknown): Collection {
    const col = parseOrThrow(CollectionSchema, input, 'collection');
    this.known('libraries', col.library, 'library');
    if (col.parent !== null) {
      const parent = this.getCollection(col.parent);
      if (parent.library !== col.library) throw new BadRequestError('invalid_fields', `parent: collection "${col.parent}" belongs to another library`);
      // A collection cannot be its own ancestor.
      for (let p: Collection | null = parent; p; p = p.parent ? this.getCollection(p.parent) : null) {
        if (p.id === col.id) throw new BadRequestError('invalid_fields', `parent: "${col.parent}" is inside "${col.id}"`);
      }
    }
    this.db
      .prepare(
        `INSERT INTO collections (id, library_id, parent_id, position, data, updated_at) VALUES (@id, @library, @parent, @position, @data, @now)
         ON CONFLICT(id) DO UPDATE SET library_id = @library, parent_id = @parent, position = @position, data = @data, updated_at = @now`,
      )
      .run({ ...col, data: JSON.stringify(col), now: new Date().toISOString() });
    return col;
  }

  async putItem(input: unknown): Promise<Item> {
    const item = parseOrThrow(ItemSchema, input as ItemInput, 'item');
    this.known('collections', item.collection, 'collection');
    const sizes = await Promise.all(item.canvases.map((c) => this.imageSize(c.image)));
    const missing = item.canvases.flatMap((c, i) => (sizes[i] ? [] : [`canvases.${i}.image: no image "${c.image}" is stored`]));
    if (missing.length > 0) throw new BadRequestError('invalid_fields', `invalid item: ${missing.join('; ')}`);
    const pages = item.canvases.length;
    const checkRanges = (ranges: readonly Range[], at: string): string[] =>
      ranges.flatMap((r, i) => [
        ...r.canvases.filter((n) => n > pages).map((n) => `${at}.${i}.canvases: page ${n} does not exist (the item has ${pages})`),
        ...checkRanges(r.ranges ?? [], `${at}.${i}.ranges`),
      ]);
    const badRanges = checkRanges(item.structures, 'structures');
    if (badRanges.length > 0) throw new BadRequestError('invalid_fields', `invalid item: ${badRanges.join('; ')}`);

    const now = new Date().toISOString();
    this.db.transaction(() => {
      const old = this.db.prepare('SELECT created_at, version FROM items WHERE id = ?').get(item.id) as { created_at: string; version: number } | undefined;
      this.db
        .prepare(
          `INSERT INTO items (id, collection_id, kind, access_level, description, structures, created_at, updated_at, version)
           VALUES (@id, @collection, @kind, @accessLevel, @description, @structures, @created, @now, @version)
           ON CONFLICT(id) DO UPDATE SET collection_id = @collection, kind = @kind, access_level = @accessLevel,
             description = @description, structures = @structures, updated_at = @now, version = @version`,
        )
        .run({
          id: item.id,
          collection: item.collection,
          kind: item.kind,
          accessLevel: item.accessLevel,
          description: JSON.stringify(item.description),
          structures: JSON.stringify(item.structures),
          created: old?.created_at ?? now,
          now,
          version: (old?.version ?? 0) + 1,
        });
      this.db.prepare('DELETE FROM canvases WHERE item_id = ?').run(item.id);
      const insert = this.db.prepare('INSERT INTO canvases (item_id, position, image_id, width, height, label) VALUES (?, ?, ?, ?, ?, ?)');
      item.canvases.forEach((c, i) => insert.run(item.id, i + 1, c.image, sizes[i]!.width, sizes[i]!.height, c.label ?? null));
    })();
    return this.getItem(item.id);
  }

  private known(table: 'libraries' | 'collections', id: string, what: string): void {
    if (!this.db.prepare(`SELECT 1 FROM ${table} WHERE id = ?`).get(id)) {
      throw new BadRequestError('invalid_fields', `${what}: no ${what} "${id}"`);
    }
  }

  getLibrary(id: string): Library {
    const row = this.db.prepare('SELECT data FROM libraries WHERE id = ?').get(id) as { data: string } | undefined;
    if (!row) throw new NotFoundError(`no library "${id}"`, 'unknown_library');
    return JSON.parse(row.data) as Library;
  }

  getCollection(id: string): Collection {
    const row = this.db.prepare('SELECT data FROM collections WHERE id = ?').get(id) as { data: string } | undefined;
    if (!row) throw new NotFoundError(`no collection "${id}"`, 'unknown_collection');
    return JSON.parse(row.data) as Collection;
  }

  getItem(id: string): Item {
    const row = this.db
      .prepare('SELECT i.*, c.library_id FROM items i JOIN collections c ON c.id = i.collection_id WHERE i.id = ?')
      .get(id) as ItemRow | undefined;
    if (!row) throw new NotFoundError(`no item "${id}"`, 'unknown_item');
    const canvases = this.db
      .prepare('SELECT position, image_id AS image, width, height, label FROM canvases WHERE item_id = ? ORDER BY position')
      .all(id) as Canvas[];
    return {
      id: row.id,
      collection: row.collection_id,
      library: row.library_id,
      kind: row.kind,
      accessLevel: row.access_level,
      description: JSON.parse(row.description) as Description,
      structures: JSON.parse(row.structures) as Range[],
      canvases,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      version: row.version,
    };
  }

  getItemVersion(id: string): number {
    const version = this.db.prepare('SELECT version FROM items WHERE id = ?').pluck().get(id) as number | undefined;
    if (version === undefined) throw new NotFoundError(`no item "${id}"`, 'unknown_item');
    return version;
  }

  listLibraries(): Library[] {
    return (this.db.prepare('SELECT data FROM libraries ORDER BY parent_id IS NOT NULL, id').pluck().all() as string[]).map((d) => JSON.parse(d) as Library);
  }

  listCollections(library: string, parent: string | null): Collection[] {
    return (
      this.db
        .prepare('SELECT data FROM collections WHERE library_id = ? AND parent_id IS ? ORDER BY position, id')
        .pluck()
        .all(library, parent) as string[]
    ).map((d) => JSON.parse(d) as Collection);
  }

  listItems(collection: string | null, offset: number, limit: number): Page<ItemSummary> {
    const where = collection === null ? '' : 'WHERE i.collection_id = @collection';
    const total = (this.db.prepare(`SELECT count(*) FROM items i ${where}`).pluck().get({ collection }) as number) ?? 0;
    const rows = this.db
      .prepare(
        `SELECT i.id, i.collection_id, i.kind, i.description, i.updated_at,
                (SELECT image_id FROM canvases WHERE item_id = i.id ORDER BY position LIMIT 1) AS first_image,
                (SELECT width FROM canvases WHERE item_id = i.id ORDER BY position LIMIT 1) AS first_width,
                (SELECT height FROM canvases WHERE item_id = i.id ORDER BY position LIMIT 1) AS first_height,
                (SELECT count(*) FROM canvases WHERE item_id = i.id) AS pages
         FROM items i ${where} ORDER BY i.id LIMIT @limit OFFSET @offset`,
      )
      .all({ collection, limit, offset }) as { id: string; collection_id: string; kind: string; description: string; updated_at: string; first_image: string; first_width: number; first_height: number; pages: number }[];
    return {
      total,
      items: rows.map((r) => ({
        id: r.id,
        collection: r.collection_id,
        kind: r.kind,
        title: (JSON.parse(r.description) as Description).title,
        firstImage: r.first_image,
        firstImageSize: { width: r.first_width, height: r.first_height },
        pages: r.pages,
        updatedAt: r.updated_at,
      })),
    };
  }

  lastModified(): string {
    return (
      (this.db
        .prepare(
          'SELECT max(m) FROM (SELECT max(updated_at) m FROM items UNION ALL SELECT max(updated_at) FROM collections UNION ALL SELECT max(updated_at) FROM libraries)',
        )
        .pluck()
        .get() as string | null) ?? new Date(0).toISOString()
    );
  }
}

export type { LibraryInput, CollectionInput };
