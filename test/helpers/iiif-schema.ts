/** The official IIIF Presentation 3 JSON schema (../shared/iiif/iiif_3_0.json) compiled with Ajv. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { shared } from './shared.js';

const require = createRequire(import.meta.url);
// Ajv and ajv-formats are CommonJS; their default exports are the classes.
const Ajv = require('ajv') as typeof import('ajv').default;
const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;

let validator: ReturnType<InstanceType<typeof Ajv>['compile']> | null = null;

/** Returns the schema errors of a Presentation 3 document, [] when it is valid. */
export function presentation3Errors(doc: unknown): string[] {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    validator = ajv.compile(JSON.parse(readFileSync(shared('iiif', 'iiif_3_0.json'), 'utf8')));
  }
  return validator(doc) ? [] : (validator.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
