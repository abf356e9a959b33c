/**
 * ImageSource: identifier → a stored pyramid the renderer can read. The image record (the pointer to
 * the current version) and the TIFF directories of its pyramid are read once and kept, keyed by the
 * record's size and mtime, so a tile request costs a stat, not a parse; a rebuild that switches the
 * record is seen on the next request. Throws NotFoundError for an identifier we do not hold.
 */
import { NotFoundError } from '../errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import { imageKeys, pyramidKey, versionStartedAt, type ExtraJpeg, type ImageRecord, type StoredSize } from '../storage/layout.js';
import { hasCopyableJpegTiles, pyramidLevels, readTiffFile, type TiffDirectory } from '../storage/tiff.js';
import { OpenFiles } from './open-files.js';
import type { SourceInfo } from './plan.js';

export interface StoredImage {
  readonly id: string;
  readonly info: SourceInfo;
  readonly path: string;
  /** Changes whenever the image is rebuilt or replaced: part of ETags and cache keys. */
  readonly version: string;
  readonly modified: Date;
  /** Pyramid levels whose stored JPEG tiles can be copied out as they are. */
  readonly directories: readonly TiffDirectory[];
  readonly copyable: readonly boolean[];
  /** File holding the pre-rendered sizes and edge tiles (null for format-1 images). */
  readonly extrasPath: string | null;
  /** The pre-rendered sizes (`info.sizes`) and where each lies in the extras file. */
  readonly sizes: readonly StoredSize[];
  /** Edge tiles by `level/col/row`. */
  readonly edgeTiles: ReadonlyMap<string, ExtraJpeg>;
}

export interface ImageSource {
  /** @throws NotFoundError when no complete image has this identifier. */
  get(id: string): Promise<StoredImage>;
  /** Drops what is known of an image, so that the next `get` reads its record again. */
  forget(id: string): void;
  /** The stored files' open handles, shared with the readers of this source's images. */
  readonly files: OpenFiles;
}

/** No stored size or edge tile is near this: a larger length in a record is damage. */
const MAX_EXTRA = 64 * 2 ** 20;

export const edgeKey = (level: number, col: number, row: number) => `${level}/${col}/${row}`;

export class PyramidImageSource implements ImageSource {
  private readonly known = new Map<string, StoredImage>();
  readonly files = new OpenFiles();

  constructor(private readonly store: BlobStore) {}

  forget(id: string): void {
    const old = this.known.get(id);
    if (old) this.files.retire(old.path, old.extrasPath);
    this.known.delete(id);
  }

  async get(id: string): Promise<StoredImage> {
    const keys = imageKeys(id);
    const stat = await this.store.stat(keys.record);
    if (!stat) throw new NotFoundError(`no image with identifier "${id}"`, 'unknown_image');
    const stamp = `${stat.size.toString(36)}-${Math.floor(stat.mtimeMs).toString(36)}`;
    const cached = this.known.get(id);
    if (cached && cached.version.endsWith(stamp)) return cached;
    // A new version (rebuilt, replaced): the old files' handles go, after reads under way.
    if (cached) this.files.retire(cached.path, cached.extrasPath);

    const record = JSON.parse((await this.store.read(keys.record)).toString()) as ImageRecord;
    // Records are ours, but a damaged one is our failure (a logged 500), never a read elsewhere.
    if (record.version !== undefined && versionStartedAt(record.version) === null) throw new Error(`image ${id}: record names a bad version ${JSON.stringify(record.version)}`);
    const key = pyramidKey(record);
    const pyramid = await this.store.stat(key);
    if (!pyramid) throw new NotFoundError(`no image with identifier "${id}"`, 'unknown_image');
    const extras = record.version ? await this.store.stat(keys.version(record.version).extras) : null;
    for (const at of [...(record.sizes ?? []), ...(record.edgeTiles ?? [])]) {
      const ok = Number.isSafeInteger(at.offset) && Number.isSafeInteger(at.length) && at.offset >= 0 && at.length > 0 && at.length <= MAX_EXTRA;
      if (!ok || !extras || at.offset + at.length > extras.size) throw new Error(`image ${id}: record indexes bytes its extras file does not hold`);
    }
    const path = this.store.localPath(key);
    const levels = pyramidLevels(await readTiffFile(path));
    const sizes = record.sizes ?? [];
    const image: StoredImage = {
      id,
      path,
      // Format 1: the pyramid file's own stamp (it was replaced in place); then the record's.
      version: `${record.version ?? `${pyramid.size.toString(36)}-${Math.floor(pyramid.mtimeMs).toString(36)}`}-${stamp}`,
      modified: new Date(Math.floor(Math.max(stat.mtimeMs, pyramid.mtimeMs) / 1000) * 1000),
      directories: levels,
      copyable: levels.map(hasCopyableJpegTiles),
      extrasPath: record.version ? this.store.localPath(keys.version(record.version).extras) : null,
      sizes,
      edgeTiles: new Map((record.edgeTiles ?? []).map((t) => [edgeKey(t.level, t.col, t.row), t])),
      info: {
        width: levels[0]!.width,
        height: levels[0]!.height,
        levels: levels.map((l) => ({ width: l.width, height: l.height })),
        sizes: sizes.map((s) => ({ width: s.width, height: s.height })),
        tileWidth: levels[0]!.tileWidth,
        tileHeight: levels[0]!.tileHeight,
      },
    };
    if (this.known.size > 10_000) this.known.clear();
    this.known.set(id, image);
    return image;
  }
}
