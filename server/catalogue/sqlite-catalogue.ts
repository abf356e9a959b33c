/**
 * The SQLite backend of the Catalogue seam (catalogue.ts). Writes are synchronous transactions behind
 * the async interface; effective access (level and embargo) is denormalised into `collections` and
 * `items` on every write, so that listings filter in SQL.
 */
import type { AccessLevel } from '../auth/policy.js';
import { BadRequestError, ConflictError, NotFoundError } from '../errors.js';
import type { Statement } from 'better-sqlite3';
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
import type { Canvas, Catalogue, EffectiveAccess, ImageChange, ImageSizeLookup, Item, ItemQuery, ItemSummary, Page, StaffScope } from './catalogue.js';

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
  {
    // Access rights: levels on libraries and collections (in their JSON), inheritance ('inherit' stored
    // for null), embargoes, and the effective level kept per collection and item. Before this, every
    // item carried its own level and nothing was inherited: 'public' becomes 'inherit' (the same
    // effective level) and 'restricted' becomes 'researcher'.
    version: 4,
    name: 'access-levels',
    sql: `
      ALTER TABLE items ADD COLUMN embargo_until TEXT;
      ALTER TABLE items ADD COLUMN effective_level TEXT NOT NULL DEFAULT 'public';
      ALTER TABLE items ADD COLUMN effective_embargo TEXT;
      ALTER TABLE collections ADD COLUMN effective_level TEXT NOT NULL DEFAULT 'public';
      ALTER TABLE collections ADD COLUMN effective_embargo TEXT;
      UPDATE items SET access_level = CASE access_level WHEN 'public' THEN 'inherit' WHEN 'restricted' THEN 'researcher' ELSE access_level END;
      UPDATE items SET effective_level = CASE access_level WHEN 'inherit' THEN 'public' ELSE access_level END;
      CREATE INDEX canvases_by_image ON canvases(image_id);
      CREATE INDEX items_by_level ON items(effective_level);
    `,
  },
  {
    // Images being replaced: a row per image and writing process (owner stamp), written before
    // anything of the new image is stored and removed once the pages that show it carry its new size
    // and what the old record pointed to is gone. Rows left by a killed process are settled at the
    // next start.
    version: 12,
    name: 'image-changes',
    sql: `
      CREATE TABLE image_changes (
        image_id TEXT NOT NULL,
        owner TEXT NOT NULL,
        started_at TEXT NOT NULL,
        PRIMARY KEY (image_id, owner)
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
  embargo_until: string | null;
  effective_level: AccessLevel;
  effective_embargo: string | null;
  description: string;
  structures: string;
  created_at: string;
  updated_at: string;
  version: number;
}

type CollectionRecord = Collection & { readonly access: EffectiveAccess };

const ownLevel = (stored: string): AccessLevel | null => (stored === 'inherit' ? null : (stored as AccessLevel));

/** Listing filter: staff-level rows only for the libraries in scope. */
function scopeSql(scope: StaffScope, alias: string, libraryColumn: string): { sql: string; params: Record<string, string> } {
  if (scope === 'all') return { sql: '1', params: {} };
  const params: Record<string, string> = {};
  scope.forEach((l, i) => (params[`scope${i}`] = l));
  const list = scope.map((_, i) => `@scope${i}`).join(', ');
  return { sql: `(${alias}.effective_level != 'staff'${list ? ` OR ${libraryColumn} IN (${list})` : ''})`, params };
}

export class SqliteCatalogue implements Catalogue {
  private readonly statements = new Map<string, Statement>();
  /** Access of images, asked on every image request: kept until the catalogue changes. */
  private readonly imageAccess = new Map<string, { item: string; library: string; access: EffectiveAccess }[]>();
  private writes = 0;
  private cachedAt = { dataVersion: -1, writes: -1 };
  private checkedAt = 0;

  constructor(
    private readonly db: Db,
    private readonly imageSize: ImageSizeLookup,
  ) {}

  /** A statement prepared once (preparing costs more than running these small queries). */
  private stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) {
      if (this.statements.size > 500) this.statements.clear();
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  async putLibrary(input: unknown): Promise<Library> {
    const lib = parseOrThrow(LibrarySchema, input, 'library');
    if (lib.parent !== null && lib.parent !== lib.id) {
      this.known('libraries', lib.parent, 'library', 'parent');
      // A library cannot be its own ancestor.
      for (let p: Library | null = await this.getLibrary(lib.parent); p; p = p.parent && p.parent !== p.id ? await this.getLibrary(p.parent) : null) {
        if (p.id === lib.id) throw new BadRequestError('invalid_fields', `parent: "${lib.parent}" is below "${lib.id}"`);
      }
    }
    this.writes += 1;
    this.db.transaction(() => {
      this
        .stmt(
          `INSERT INTO libraries (id, parent_id, data, updated_at) VALUES (@id, @parent, @data, @now)
           ON CONFLICT(id) DO UPDATE SET parent_id = @parent, data = @data, updated_at = @now`,
        )
        .run({ id: lib.id, parent: lib.parent, data: JSON.stringify(lib), now: new Date().toISOString() });
      this.refreshAccess();
    })();
    return lib;
  }

  async putCollection(input: unknown): Promise<Collection> {
    const col = parseOrThrow(CollectionSchema, input, 'collection');
    this.known('libraries', col.library, 'library');
    if (col.parent !== null) {
      this.known('collections', col.parent, 'collection', 'parent');
      const parent = this.collectionRow(col.parent);
      if (parent.library !== col.library) throw new BadRequestError('invalid_fields', `parent: collection "${col.parent}" belongs to another library`);
      // A collection cannot be its own ancestor.
      for (let p: Collection | null = parent; p; p = p.parent ? this.collectionRow(p.parent) : null) {
        if (p.id === col.id) throw new BadRequestError('invalid_fields', `parent: "${col.parent}" is inside "${col.id}"`);
      }
    }
    this.writes += 1;
    this.db.transaction(() => {
      this
        .stmt(
          `INSERT INTO collections (id, library_id, parent_id, position, data, updated_at) VALUES (@id, @library, @parent, @position, @data, @now)
           ON CONFLICT(id) DO UPDATE SET library_id = @library, parent_id = @parent, position = @position, data = @data, updated_at = @now`,
        )
        .run({ id: col.id, library: col.library, parent: col.parent, position: col.position, data: JSON.stringify(col), now: new Date().toISOString() });
      this.refreshAccess();
    })();
    return col;
  }

  /**
   * Recomputes every collection's effective access (nearest level and embargo set on it, a collection
   * above, its library or a library above), then every item's. Collections and libraries are few; the
   * items take one UPDATE.
   */
  private refreshAccess(): void {
    const libraries = new Map((this.stmt('SELECT data FROM libraries').pluck().all() as string[]).map((d) => [(JSON.parse(d) as Library).id, JSON.parse(d) as Library]));
    const collections = new Map((this.stmt('SELECT data FROM collections').pluck().all() as string[]).map((d) => [(JSON.parse(d) as Collection).id, JSON.parse(d) as Collection]));
    const chainOf = (c: Collection): { accessLevel: AccessLevel | null; embargoUntil: string | null }[] => {
      const chain: { accessLevel: AccessLevel | null; embargoUntil: string | null }[] = [];
      const seen = new Set<string>();
      for (let p: Collection | undefined = c; p && !seen.has(p.id); p = p.parent ? collections.get(p.parent) : undefined) {
        seen.add(p.id);
        chain.push(p);
      }
      for (let l = libraries.get(c.library); l && !seen.has(`library:${l.id}`); l = l.parent && l.parent !== l.id ? libraries.get(l.parent) : undefined) {
        seen.add(`library:${l.id}`);
        chain.push(l);
      }
      return chain;
    };
    const update = this.stmt('UPDATE collections SET effective_level = ?, effective_embargo = ? WHERE id = ?');
    for (const c of collections.values()) {
      const chain = chainOf(c);
      update.run(chain.find((x) => x.accessLevel !== null)?.accessLevel ?? 'public', chain.find((x) => x.embargoUntil !== null)?.embargoUntil ?? null, c.id);
    }
    this.db.exec(`
      UPDATE items SET
        effective_level = CASE WHEN access_level != 'inherit' THEN access_level
                               ELSE (SELECT effective_level FROM collections c WHERE c.id = items.collection_id) END,
        effective_embargo = coalesce(embargo_until, (SELECT effective_embargo FROM collections c WHERE c.id = items.collection_id))`);
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
    this.writes += 1;
    this.db.transaction(() => {
      const old = this.stmt('SELECT created_at, version FROM items WHERE id = ?').get(item.id) as { created_at: string; version: number } | undefined;
      const inherited = this.stmt('SELECT effective_level, effective_embargo FROM collections WHERE id = ?').get(item.collection) as {
        effective_level: AccessLevel;
        effective_embargo: string | null;
      };
      this
        .stmt(
          `INSERT INTO items (id, collection_id, kind, access_level, embargo_until, effective_level, effective_embargo, description, structures, created_at, updated_at, version)
           VALUES (@id, @collection, @kind, @accessLevel, @embargoUntil, @effectiveLevel, @effectiveEmbargo, @description, @structures, @created, @now, @version)
           ON CONFLICT(id) DO UPDATE SET collection_id = @collection, kind = @kind, access_level = @accessLevel, embargo_until = @embargoUntil,
             effective_level = @effectiveLevel, effective_embargo = @effectiveEmbargo,
             description = @description, structures = @structures, updated_at = @now, version = @version`,
        )
        .run({
          id: item.id,
          collection: item.collection,
          kind: item.kind,
          accessLevel: item.accessLevel ?? 'inherit',
          embargoUntil: item.embargoUntil,
          effectiveLevel: item.accessLevel ?? inherited.effective_level,
          effectiveEmbargo: item.embargoUntil ?? inherited.effective_embargo,
          description: JSON.stringify(item.description),
          structures: JSON.stringify(item.structures),
          created: old?.created_at ?? now,
          now,
          version: (old?.version ?? 0) + 1,
        });
      this.stmt('DELETE FROM canvases WHERE item_id = ?').run(item.id);
      const insert = this.stmt('INSERT INTO canvases (item_id, position, image_id, width, height, label) VALUES (?, ?, ?, ?, ?, ?)');
      item.canvases.forEach((c, i) => insert.run(item.id, i + 1, c.image, sizes[i]!.width, sizes[i]!.height, c.label ?? null));
    })();
    return this.getItem(item.id);
  }

  private known(table: 'libraries' | 'collections', id: string, what: string, field = what): void {
    if (!this.stmt(`SELECT 1 FROM ${table} WHERE id = ?`).get(id)) {
      throw new BadRequestError('invalid_fields', `${field}: no ${what} "${id}"`);
    }
  }

  async getLibrary(id: string): Promise<Library> {
    const row = this.stmt('SELECT data FROM libraries WHERE id = ?').get(id) as { data: string } | undefined;
    if (!row) throw new NotFoundError(`no library "${id}"`, 'unknown_library');
    return LibrarySchema.parse(JSON.parse(row.data));
  }

  private collectionRow(id: string): CollectionRecord {
    const row = this.stmt('SELECT data, effective_level, effective_embargo FROM collections WHERE id = ?').get(id) as
      | { data: string; effective_level: AccessLevel; effective_embargo: string | null }
      | undefined;
    if (!row) throw new NotFoundError(`no collection "${id}"`, 'unknown_collection');
    return { ...CollectionSchema.parse(JSON.parse(row.data)), access: { level: row.effective_level, embargoUntil: row.effective_embargo } };
  }

  async getCollection(id: string): Promise<CollectionRecord> {
    return this.collectionRow(id);
  }

  async getItem(id: string): Promise<Item> {
    const row = this
      .stmt('SELECT i.*, c.library_id FROM items i JOIN collections c ON c.id = i.collection_id WHERE i.id = ?')
      .get(id) as ItemRow | undefined;
    if (!row) throw new NotFoundError(`no item "${id}"`, 'unknown_item');
    const canvases = this
      .stmt('SELECT position, image_id AS image, width, height, label FROM canvases WHERE item_id = ? ORDER BY position')
      .all(id) as Canvas[];
    return {
      id: row.id,
      collection: row.collection_id,
      library: row.library_id,
      kind: row.kind,
      accessLevel: ownLevel(row.access_level),
      embargoUntil: row.embargo_until,
      access: { level: row.effective_level, embargoUntil: row.effective_embargo },
      description: JSON.parse(row.description) as Description,
      structures: JSON.parse(row.structures) as Range[],
      canvases,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      version: row.version,
    };
  }

  async getItemStamp(id: string): Promise<{ version: number; library: string; access: EffectiveAccess }> {
    const r = this.stmt('SELECT i.version, c.library_id, i.effective_level, i.effective_embargo FROM items i JOIN collections c ON c.id = i.collection_id WHERE i.id = ?').get(id) as
      | { version: number; library_id: string; effective_level: AccessLevel; effective_embargo: string | null }
      | undefined;
    if (!r) throw new NotFoundError(`no item "${id}"`, 'unknown_item');
    return { version: r.version, library: r.library_id, access: { level: r.effective_level, embargoUntil: r.effective_embargo } };
  }

  async deleteItem(id: string): Promise<void> {
    const gone = this.stmt('DELETE FROM items WHERE id = ?').run(id).changes;
    if (gone === 0) throw new NotFoundError(`no item "${id}"`, 'unknown_item');
    this.writes += 1;
  }

  async getItemVersion(id: string): Promise<number> {
    const version = this.stmt('SELECT version FROM items WHERE id = ?').pluck().get(id) as number | undefined;
    if (version === undefined) throw new NotFoundError(`no item "${id}"`, 'unknown_item');
    return version;
  }

  async listLibraries(): Promise<Library[]> {
    return (this.stmt('SELECT data FROM libraries ORDER BY parent_id IS NOT NULL, id').pluck().all() as string[]).map((d) => LibrarySchema.parse(JSON.parse(d)));
  }

  async listCollections(library: string, parent: string | null, staffScope: StaffScope): Promise<CollectionRecord[]> {
    const scope = scopeSql(staffScope, 'c', 'c.library_id');
    return (
      this
        .stmt(`SELECT id FROM collections c WHERE library_id = @library AND parent_id IS @parent AND ${scope.sql} ORDER BY position, id`)
        .pluck()
        .all({ library, parent, ...scope.params }) as string[]
    ).map((id) => this.collectionRow(id));
  }

  async listItems(q: ItemQuery): Promise<Page<ItemSummary>> {
    const scope = scopeSql(q.staffScope, 'i', 'c.library_id');
    const ids = q.ids ?? [];
    const idParams = Object.fromEntries(ids.map((id, n) => [`id${n}`, id]));
    const where = `WHERE ${scope.sql}${q.collection === null ? '' : ' AND i.collection_id = @collection'}${q.ids ? ` AND i.id IN (${ids.map((_, n) => `@id${n}`).join(', ') || "''"})` : ''}`;
    const from = 'FROM items i JOIN collections c ON c.id = i.collection_id';
    const params = { collection: q.collection, ...scope.params, ...idParams };
    const total = (this.stmt(`SELECT count(*) ${from} ${where}`).pluck().get(params) as number) ?? 0;
    const rows = this
      .stmt(
        `SELECT i.id, i.collection_id, c.library_id, i.kind, i.description, i.updated_at, i.effective_level, i.effective_embargo,
                (SELECT image_id FROM canvases WHERE item_id = i.id ORDER BY position LIMIT 1) AS first_image,
                (SELECT width FROM canvases WHERE item_id = i.id ORDER BY position LIMIT 1) AS first_width,
                (SELECT height FROM canvases WHERE item_id = i.id ORDER BY position LIMIT 1) AS first_height,
                (SELECT count(*) FROM canvases WHERE item_id = i.id) AS pages
         ${from} ${where} ORDER BY i.id LIMIT @limit OFFSET @offset`,
      )
      .all({ ...params, limit: q.limit, offset: q.offset }) as {
      id: string;
      collection_id: string;
      library_id: string;
      kind: string;
      description: string;
      updated_at: string;
      effective_level: AccessLevel;
      effective_embargo: string | null;
      first_image: string;
      first_width: number;
      first_height: number;
      pages: number;
    }[];
    return {
      total,
      items: rows.map((r) => ({
        id: r.id,
        collection: r.collection_id,
        library: r.library_id,
        kind: r.kind,
        title: (JSON.parse(r.description) as Description).title,
        date: (JSON.parse(r.description) as Description).date ?? null,
        access: { level: r.effective_level, embargoUntil: r.effective_embargo },
        firstImage: r.first_image,
        firstImageSize: { width: r.first_width, height: r.first_height },
        pages: r.pages,
        updatedAt: r.updated_at,
      })),
    };
  }


  async accessOfImage(imageId: string): Promise<{ item: string; library: string; access: EffectiveAccess }[]> {
    // Another process (the CLI, a second server) changes PRAGMA data_version when it commits; our own
    // writes count in `writes`.
    // Asked at most every 200 ms: another process's change shows within that.
    const now = Date.now();
    if (now - this.checkedAt > 200 || this.writes !== this.cachedAt.writes) {
      this.checkedAt = now;
      const dataVersion = this.stmt('PRAGMA data_version').pluck().get() as number;
      if (dataVersion !== this.cachedAt.dataVersion || this.writes !== this.cachedAt.writes) {
        this.imageAccess.clear();
        this.cachedAt = { dataVersion, writes: this.writes };
      }
    }
    const kept = this.imageAccess.get(imageId);
    if (kept) return kept;
    if (this.imageAccess.size > 10_000) this.imageAccess.clear();
    const rows = this
      .stmt(
        `SELECT DISTINCT i.id, c.library_id, i.effective_level, i.effective_embargo
         FROM canvases cv JOIN items i ON i.id = cv.item_id JOIN collections c ON c.id = i.collection_id
         WHERE cv.image_id = ? ORDER BY i.id`,
      )
      .all(imageId) as { id: string; library_id: string; effective_level: AccessLevel; effective_embargo: string | null }[];
    const found = rows.map((r) => ({ item: r.id, library: r.library_id, access: { level: r.effective_level, embargoUntil: r.effective_embargo } }));
    this.imageAccess.set(imageId, found);
    return found;
  }

  async beginImageChanges(imageIds: readonly string[], owner: string, stillOpen: (change: ImageChange) => boolean = () => true): Promise<void> {
    const now = new Date().toISOString();
    const insert = this.stmt('INSERT OR REPLACE INTO image_changes (image_id, owner, started_at) VALUES (?, ?, ?)');
    const open = this.stmt('SELECT owner, started_at FROM image_changes WHERE image_id = ? AND owner != ?');
    // One transaction that takes the write lock first: two processes cannot both find the image free.
    this.db
      .transaction(() => {
        for (const id of imageIds) {
          for (const r of open.all(id, owner) as { owner: string; started_at: string }[]) {
            if (stillOpen({ imageId: id, owner: r.owner, startedAt: r.started_at })) {
              throw new ConflictError(`image "${id}" is being replaced by another process (${r.owner}, since ${r.started_at}); try again when it has finished`);
            }
          }
        }
        imageIds.forEach((id) => insert.run(id, owner, now));
      })
      .immediate();
  }

  async openImageChanges(): Promise<ImageChange[]> {
    return (this.stmt('SELECT image_id, owner, started_at FROM image_changes ORDER BY started_at, image_id').all() as { image_id: string; owner: string; started_at: string }[]).map(
      (r) => ({ imageId: r.image_id, owner: r.owner, startedAt: r.started_at }),
    );
  }

  async settleImageChanges(imageIds: readonly string[], owner: string): Promise<number> {
    // Sizes are read before the transaction: the lookup reads files.
    const sizes = new Map<string, { width: number; height: number } | null>();
    for (const id of imageIds) sizes.set(id, await this.imageSize(id));
    const now = new Date().toISOString();
    let changed = 0;
    this.db.transaction(() => {
      for (const [id, size] of sizes) {
        if (size) {
          const stale = this.stmt('SELECT DISTINCT item_id FROM canvases WHERE image_id = ? AND (width != ? OR height != ?)').pluck().all(id, size.width, size.height) as string[];
          this.stmt('UPDATE canvases SET width = ?, height = ? WHERE image_id = ?').run(size.width, size.height, id);
          // A new size is a new manifest: the items' versions (ETags) and dates move on.
          for (const item of stale) this.stmt('UPDATE items SET version = version + 1, updated_at = ? WHERE id = ?').run(now, item);
          changed += stale.length;
        }
        this.stmt('DELETE FROM image_changes WHERE image_id = ? AND owner = ?').run(id, owner);
      }
    })();
    this.writes += 1;
    return changed;
  }

  async lastModified(): Promise<string> {
    return (
      (this
        .stmt(
          'SELECT max(m) FROM (SELECT max(updated_at) m FROM items UNION ALL SELECT max(updated_at) FROM collections UNION ALL SELECT max(updated_at) FROM libraries)',
        )
        .pluck()
        .get() as string | null) ?? new Date(0).toISOString()
    );
  }
}

export type { LibraryInput, CollectionInput };
