/**
 * The demo set that `npm start` serves on a fresh clone: a few small scans shipped in
 * manifests/demo/images (see manifests/demo/README.md for their sources and licences).
 * Each is added once; later starts find them stored and do nothing.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { projectRoot } from './config.js';
import { addImage, idFromFileName, type PyramidOptions } from './ingest/pyramid.js';
import type { BlobStore } from './storage/blob-store.js';
import { imageKeys } from './storage/layout.js';

export const DEMO_DIR = path.join(projectRoot, 'manifests', 'demo', 'images');

export async function prepareDemo(store: BlobStore, opts: PyramidOptions, logger: Logger): Promise<string[]> {
  const files = (await readdir(DEMO_DIR)).filter((f) => !f.startsWith('.')).sort();
  const ids: string[] = [];
  for (const f of files) {
    const id = idFromFileName(f);
    if (!(await store.stat(imageKeys(id).record))) {
      await addImage(store, path.join(DEMO_DIR, f), { id }, opts);
      logger.info({ id }, 'demo image added');
    }
    ids.push(id);
  }
  return ids;
}
