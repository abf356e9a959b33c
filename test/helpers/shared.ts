/**
 * The one reader of ../shared (the test and benchmark corpus beside the clone; see its data/README.md).
 * Fails loudly when the corpus is missing, rather than letting tests pass vacuously.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../server/config.js';

export const SHARED = process.env.VANKHO_SHARED_DIR ?? path.resolve(projectRoot, '..', 'shared');

export function shared(...parts: string[]): string {
  const p = path.join(SHARED, ...parts);
  if (!existsSync(p)) {
    throw new Error(`test corpus file missing: ${p} (clone beside ../shared, or set VANKHO_SHARED_DIR)`);
  }
  return p;
}

/** The IIIF Image API validator's test image: 1000×1000, 10×10 squares of 100 px. */
export const VALIDATOR_ID = '67352ccc-d1b0-11e1-89ae-279075081939';
export const validatorImage = () => shared('iiif', `${VALIDATOR_ID}.png`);
export const data = (...parts: string[]) => shared('data', ...parts);

/** The official IIIF Image API validator (an unchanged copy in ../shared/tools), or null without ../shared. */
export function imageValidator(): string | null {
  const p = path.join(SHARED, 'tools', 'iiif-image-validator', 'iiif-validate.py');
  return existsSync(p) ? p : null;
}
