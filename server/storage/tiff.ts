/**
 * A small TIFF directory reader (TIFF 6.0 and BigTIFF): enough to find the tiles of a pyramid level
 * and copy a stored JPEG tile out of the file without decoding it, as IIPImage does.
 * It never trusts the file: IFD loops, counts that run past the end and unknown types are refused.
 */
import { open, type FileHandle } from 'node:fs/promises';

export interface TiffDirectory {
  readonly width: number;
  readonly height: number;
  /** 7 = JPEG. */
  readonly compression: number;
  /** 6 = YCbCr, 1 = grey (plain JFIF-style streams), 2 = RGB (libvips at quality ≥ 90: no chroma subsampling). */
  readonly photometric: number;
  readonly samplesPerPixel: number;
  /** Bit 0 set: a reduced-resolution copy of another page (a pyramid level, not a page of its own). */
  readonly subfileType: number;
  readonly tileWidth: number;
  readonly tileHeight: number;
  readonly tileOffsets: readonly number[];
  readonly tileByteCounts: readonly number[];
  readonly jpegTables: Buffer | null;
}

export class TiffFormatError extends Error {}

const MAX_DIRECTORIES = 256;
const MAX_ENTRIES = 4096;
/** Bytes per value of each TIFF field type (TIFF 6.0 §2, BigTIFF adds 16–18). */
const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8 };

interface Reader {
  le: boolean;
  big: boolean;
  size: number;
  fh: FileHandle;
}

async function read(r: Reader, offset: number, length: number): Promise<Buffer> {
  if (offset < 0 || length < 0 || offset + length > r.size) {
    throw new TiffFormatError(`TIFF structure points past the end of the file (offset ${offset}, length ${length})`);
  }
  const buf = Buffer.alloc(length);
  const { bytesRead } = await r.fh.read(buf, 0, length, offset);
  if (bytesRead !== length) throw new TiffFormatError('short read in TIFF structure');
  return buf;
}

function uint(r: Reader, b: Buffer, off: number, type: number): number {
  switch (type) {
    case 1:
    case 7:
      return b.readUInt8(off);
    case 3:
      return r.le ? b.readUInt16LE(off) : b.readUInt16BE(off);
    case 4:
    case 13:
      return r.le ? b.readUInt32LE(off) : b.readUInt32BE(off);
    case 16:
    case 18:
      return Number(r.le ? b.readBigUInt64LE(off) : b.readBigUInt64BE(off));
    default:
      throw new TiffFormatError(`unexpected TIFF field type ${type}`);
  }
}

async function values(r: Reader, type: number, count: number, inline: Buffer): Promise<Buffer> {
  const size = TYPE_SIZE[type];
  if (size === undefined) throw new TiffFormatError(`invalid TIFF field type ${type}`);
  const bytes = size * count;
  const inlineSize = r.big ? 8 : 4;
  if (bytes <= inlineSize) return inline.subarray(0, bytes);
  const offset = r.big ? uint(r, inline, 0, 16) : uint(r, inline, 0, 4);
  return read(r, offset, bytes);
}

async function readDirectory(r: Reader, offset: number): Promise<{ dir: TiffDirectory; next: number }> {
  const countSize = r.big ? 8 : 2;
  const entrySize = r.big ? 20 : 12;
  const count = uint(r, await read(r, offset, countSize), 0, r.big ? 16 : 3);
  if (count === 0 || count > MAX_ENTRIES) throw new TiffFormatError(`TIFF directory claims ${count} entries`);
  const body = await read(r, offset + countSize, count * entrySize + (r.big ? 8 : 4));
  const tags = new Map<number, { type: number; count: number; data: Buffer }>();
  for (let i = 0; i < count; i++) {
    const e = i * entrySize;
    const tag = uint(r, body, e, 3);
    const type = uint(r, body, e + 2, 3);
    const n = r.big ? uint(r, body, e + 4, 16) : uint(r, body, e + 4, 4);
    // Only the tags we use are read; the rest may be anything.
    if (![254, 256, 257, 259, 262, 277, 322, 323, 324, 325, 347].includes(tag)) continue;
    if (n > 50_000_000) throw new TiffFormatError(`TIFF tag ${tag} claims ${n} values`);
    const inline = body.subarray(e + (r.big ? 12 : 8), e + entrySize);
    tags.set(tag, { type, count: n, data: await values(r, type, n, inline) });
  }
  const next = r.big ? uint(r, body, count * entrySize, 16) : uint(r, body, count * entrySize, 4);
  const one = (tag: number, dflt: number) => {
    const t = tags.get(tag);
    return t && t.count > 0 ? uint(r, t.data, 0, t.type) : dflt;
  };
  const many = (tag: number) => {
    const t = tags.get(tag);
    if (!t) return [];
    const size = TYPE_SIZE[t.type]!;
    return Array.from({ length: t.count }, (_, i) => uint(r, t.data, i * size, t.type));
  };
  const tables = tags.get(347);
  return {
    dir: {
      width: one(256, 0),
      height: one(257, 0),
      compression: one(259, 1),
      photometric: one(262, -1),
      samplesPerPixel: one(277, 1),
      subfileType: one(254, 0),
      tileWidth: one(322, 0),
      tileHeight: one(323, 0),
      tileOffsets: many(324),
      tileByteCounts: many(325),
      jpegTables: tables ? Buffer.from(tables.data) : null,
    },
    next,
  };
}

/** Reads every directory (page and pyramid level) of the TIFF open in `fh`. */
export async function readTiffDirectories(fh: FileHandle): Promise<TiffDirectory[]> {
  const size = (await fh.stat()).size;
  if (size < 16) throw new TiffFormatError('file too small to be a TIFF');
  const head = Buffer.alloc(16);
  await fh.read(head, 0, 16, 0);
  const order = head.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') throw new TiffFormatError('not a TIFF file');
  const le = order === 'II';
  const magic = le ? head.readUInt16LE(2) : head.readUInt16BE(2);
  if (magic !== 42 && magic !== 43) throw new TiffFormatError('not a TIFF file');
  const r: Reader = { le, big: magic === 43, size, fh };
  let offset = r.big ? uint(r, head, 8, 16) : uint(r, head, 4, 4);
  const seen = new Set<number>();
  const dirs: TiffDirectory[] = [];
  while (offset !== 0) {
    // A next-IFD pointer that points back is a loop (hostile/tiff_ifd_loop.tif): stop, as libtiff does.
    if (seen.has(offset)) break;
    if (seen.size >= MAX_DIRECTORIES) throw new TiffFormatError(`more than ${MAX_DIRECTORIES} TIFF directories`);
    seen.add(offset);
    const { dir, next } = await readDirectory(r, offset);
    dirs.push(dir);
    offset = next;
  }
  if (dirs.length === 0) throw new TiffFormatError('TIFF has no image directory');
  return dirs;
}

/**
 * The pyramid's levels: directory 0, then the chain of reduced-resolution directories that really
 * halve the previous one (libvips rounds down). Level k is sharp's `page` k.
 */
export function pyramidLevels(dirs: readonly TiffDirectory[]): TiffDirectory[] {
  const levels = [dirs[0]!];
  for (const d of dirs.slice(1)) {
    const prev = levels.at(-1)!;
    if ((d.subfileType & 1) !== 1 || d.width !== Math.floor(prev.width / 2) || d.height !== Math.floor(prev.height / 2)) break;
    levels.push(d);
  }
  return levels;
}

/** Can this directory's tiles be sent to a browser as they are stored? */
export function hasCopyableJpegTiles(d: TiffDirectory): boolean {
  const tiles = Math.ceil(d.width / d.tileWidth) * Math.ceil(d.height / d.tileHeight);
  return (
    d.compression === 7 &&
    (d.photometric === 6 || d.photometric === 1 || d.photometric === 2) &&
    d.tileWidth > 0 &&
    d.tileOffsets.length === tiles &&
    d.tileByteCounts.length === tiles
  );
}

const SOI = 0xd8;
const EOI = 0xd9;
/**
 * APP14 "Adobe" segment with transform 0: tells decoders that a 3-component stream holds RGB, not
 * YCbCr. Without it, RGB-coded TIFF tiles (photometric 2) decode with wrong colours.
 */
const ADOBE_RGB = Buffer.from([0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00]);

/**
 * Copies tile (col,row) of a directory out as a complete JPEG file: the shared tables (TIFF tag 347,
 * an abbreviated JPEG stream SOI…EOI) spliced in front of the tile's own stream (TIFF Tech Note 2).
 */
export async function readJpegTile(fh: FileHandle, d: TiffDirectory, col: number, row: number): Promise<Buffer> {
  const across = Math.ceil(d.width / d.tileWidth);
  const i = row * across + col;
  const offset = d.tileOffsets[i];
  const length = d.tileByteCounts[i];
  if (offset === undefined || length === undefined || col >= across) throw new TiffFormatError(`no tile ${col},${row}`);
  const tile = Buffer.allocUnsafe(length);
  const { bytesRead } = await fh.read(tile, 0, length, offset);
  if (bytesRead !== length || tile[0] !== 0xff || tile[1] !== SOI || tile[length - 1] !== EOI) {
    throw new TiffFormatError(`stored tile ${col},${row} is not a JPEG stream`);
  }
  const parts: Buffer[] = [tile.subarray(0, 2)];
  if (d.photometric === 2) parts.push(ADOBE_RGB);
  // The tables stream without its SOI and EOI, then the tile without its SOI.
  const tables = d.jpegTables;
  if (tables && tables.length > 4) parts.push(tables.subarray(2, tables.length - 2));
  parts.push(tile.subarray(2));
  return Buffer.concat(parts);
}

/** Reads the directories of the TIFF at `path` (opened and closed here). */
export async function readTiffFile(path: string): Promise<TiffDirectory[]> {
  const fh = await open(path, 'r');
  try {
    return await readTiffDirectories(fh);
  } finally {
    await fh.close();
  }
}

/** Indexes (as sharp's `page`) of the real pages: reduced-resolution directories of a pyramid are not pages. */
export function pageIndexes(dirs: readonly TiffDirectory[]): number[] {
  return dirs.flatMap((d, i) => ((d.subfileType & 1) === 1 ? [] : [i]));
}
