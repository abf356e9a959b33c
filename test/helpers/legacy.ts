/**
 * A format-1 image, laid out as Văn Khố stored images before derivative versions: the pyramid beside
 * the record (`images/ID/pyramid.tif`, RGB-coded JPEG tiles at quality 90, built exactly as the old
 * `image add` did), the master, and a record without `format`/`version`. What `vankho image rebuild`
 * finds in an existing store.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { BlobStore } from '../../server/storage/blob-store.js';
import { imageKeys, type ImageRecord } from '../../server/storage/layout.js';

/** `master`: the file kept as master (default the scan; a PDF for a page ingested from a PDF, as ingest does). */
export async function addLegacyImage(store: BlobStore, file: string, id: string, master = file): Promise<ImageRecord> {
  const keys = imageKeys(id);
  const pyramid = store.localPath(keys.legacyPyramid);
  await mkdir(path.dirname(pyramid), { recursive: true });
  await sharp(file)
    .rotate()
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .tiff({ tile: true, pyramid: true, compression: 'jpeg', quality: 90, tileWidth: 256, tileHeight: 256 })
    .toFile(pyramid);
  const meta = await sharp(pyramid).metadata();
  const masterKey = keys.master(path.extname(master).slice(1));
  await copyFile(master, store.localPath(masterKey));
  const record: ImageRecord = {
    id,
    width: meta.width!,
    height: meta.height!,
    masterKey,
    masterSha256: '0'.repeat(64),
    masterBytes: 0,
    masterFormat: 'jpeg',
    originalName: path.basename(file),
    tileSize: 256,
    levels: meta.pages!,
    createdAt: '2026-01-01T00:00:00.000Z',
  };
  await writeFile(store.localPath(keys.record), JSON.stringify(record, null, 2));
  return record;
}
