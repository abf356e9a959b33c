/**
 * File type by magic bytes, never by extension: a ZIP or an HTML page renamed `.tif`/`.jpg`
 * (../shared/data/hostile) is refused here, before any decoder sees it.
 */
import { open } from 'node:fs/promises';

export type DetectedType = 'jpeg' | 'png' | 'tiff' | 'webp' | 'jp2' | 'gif' | 'pdf';

export const EXTENSION: Record<DetectedType, string> = {
  jpeg: 'jpg',
  png: 'png',
  tiff: 'tif',
  webp: 'webp',
  jp2: 'jp2',
  gif: 'gif',
  pdf: 'pdf',
};

export function detectType(head: Buffer): DetectedType | null {
  const at = (offset: number, ...bytes: number[]) => bytes.every((b, i) => head[offset + i] === b);
  if (at(0, 0xff, 0xd8, 0xff)) return 'jpeg';
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (at(0, 0x49, 0x49, 0x2a, 0x00) || at(0, 0x4d, 0x4d, 0x00, 0x2a)) return 'tiff';
  if (at(0, 0x49, 0x49, 0x2b, 0x00) || at(0, 0x4d, 0x4d, 0x00, 0x2b)) return 'tiff'; // BigTIFF
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'webp';
  if (at(0, 0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20) || at(0, 0xff, 0x4f, 0xff, 0x51)) return 'jp2';
  if (at(0, 0x47, 0x49, 0x46, 0x38)) return 'gif';
  if (at(0, 0x25, 0x50, 0x44, 0x46, 0x2d)) return 'pdf';
  return null;
}

/** A human description of what a refused file looks like, for the error message. */
export function describeUnknown(head: Buffer): string {
  if (head.length === 0) return 'the file is empty';
  if (head[0] === 0x50 && head[1] === 0x4b) return 'it is a ZIP archive';
  const text = head.toString('latin1', 0, 64).trimStart().toLowerCase();
  if (text.startsWith('<!doctype html') || text.startsWith('<html')) return 'it is an HTML page';
  if (text.startsWith('<?xml') || text.startsWith('<')) return 'it is an XML or HTML document';
  return `its first bytes (${head.subarray(0, 8).toString('hex')}) match no supported image format`;
}

export async function readHead(file: string, length = 64): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
