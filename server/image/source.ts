/**
 * ImageSource: identifier → a stored pyramid the renderer can read. The TIFF directories of each
 * pyramid are read once and kept (keyed by the file's size and mtime), so a tile request costs a
 * stat, not a parse. Throws NotFoundError for an identifier we do not hold.
 */
import { NotFoundError } from '../errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import { imageKeys } from '../storage/layout.js';
import { hasCopyableJpegTiles, readTiffFile, type TiffDirectory } from '../storage/tiff.js';
import type { SourceInfo } from './plan.js';

export interface StoredImage {
  readonly id: string;
  readonly info: SourceInfo;
  readonly path: string;
  /** Changes whenever the pyramid is replaced: part of ETags and cache keys. */
  readonly version: string;
  readonly modified: Date;
  /** Pyramid levels whose stored JPEG tiles can be copied out as they are. */
  readonly directories: readonly TiffDirectory[];
  readonly copyable: readonly boolean[];
}

export interface ImageSource {
  /** @throws NotFoundError when no complete image has this identifier. */
  get(id: string): Promise<StoredImage>;
}

/** Keeps only the chain of levels that really halve the previous one (libvips rounds down). */
function pyramidLevels(dirs: readonly TiffDirectory[]): TiffDirectory[] {
  const levels = [dirs[0]!];
  for (const d of dirs.slice(1)) {
    const prev = levels.at(-1)!;
    if ((d.subfileType & 1) !== 1 || d.width !== Math.floor(prev.width / 2) || d.height !== Math.floor(prev.height / 2)) break;
    levels.push(d);
  }
  return levels;
}

export class PyramidImageSource implements ImageSource {
  private readonly known = new Map<string, StoredImage>();

  constructor(private readonly store: BlobStore) {}

  async get(id: string): Promise<StoredImage> {
    const keys = imageKeys(id);
    const [record, pyramid] = await Promise.all([this.store.stat(keys.record), this.store.stat(keys.pyramid)]);
    if (!record || !pyramid) throw new NotFoundError(`no image with identifier "${id}"`, 'unknown_image');
    const version = `${pyramid.size.toString(36)}-${Math.floor(pyramid.mtimeMs).toString(36)}`;
    const cached = this.known.get(id);
    if (cached?.version === version) return cached;

    const path = this.store.localPath(keys.pyramid);
    const levels = pyramidLevels(await readTiffFile(path));
    const image: StoredImage = {
      id,
      path,
      version,
      modified: new Date(Math.floor(pyramid.mtimeMs / 1000) * 1000),
      directories: levels,
      copyable: levels.map(hasCopyableJpegTiles),
      info: {
        width: levels[0]!.width,
        height: levels[0]!.height,
        levels: levels.map((l) => ({ width: l.width, height: l.height })),
        tileWidth: levels[0]!.tileWidth,
        tileHeight: levels[0]!.tileHeight,
      },
    };
    if (this.known.size > 10_000) this.known.clear();
    this.known.set(id, image);
    return image;
  }
}
