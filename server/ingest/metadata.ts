/**
 * Item metadata for an ingest, from a CSV that librarians keep in a spreadsheet or from JSON.
 * CSV: one row per item; `path` names the folder or file (as ingested), the other columns are the
 * catalogue's fields — `kind`, `accessLevel`, `id`, and description fields, nested ones with a dot
 * (`title.vi`, `title.original`, `date.from`, `summary.en`); list fields (`languages`, `scripts`,
 * `creators`, `subjects`, `places`, `alternativeTitles`) separated by `;`.
 * JSON: an array of objects `{ path, id?, kind?, accessLevel?, description: {...} }`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { BadRequestError } from '../errors.js';
import { IMAGE_ID_RULE, INGEST_ITEM_ID_RULE, isValidImageId, isValidIngestItemId } from '../storage/layout.js';

export interface ItemMetadata {
  readonly path: string;
  readonly id?: string;
  readonly kind?: string;
  readonly accessLevel?: string;
  readonly description: Record<string, unknown>;
}

const LISTS = new Set(['languages', 'scripts', 'creators', 'subjects', 'places', 'alternativeTitles']);
const NUMBERS = new Set(['date.from', 'date.to']);
const TOP = new Set(['id', 'kind', 'accessLevel']);

function fromRow(row: Record<string, string>, line: number): ItemMetadata {
  const description: Record<string, unknown> = {};
  const top: Record<string, string> = {};
  for (const [column, raw] of Object.entries(row)) {
    const value = raw.trim();
    if (column === 'path' || value === '') continue;
    if (TOP.has(column)) {
      top[column] = value;
      continue;
    }
    const parsed = LISTS.has(column)
      ? value.split(';').map((v) => v.trim()).filter(Boolean)
      : NUMBERS.has(column)
        ? Number.isFinite(Number(value)) ? Number(value) : value
        : value;
    const [head, tail] = column.split('.', 2) as [string, string | undefined];
    if (tail) description[head] = { ...((description[head] as object) ?? {}), [tail]: parsed };
    else description[head] = parsed;
  }
  if (!row.path?.trim()) throw new BadRequestError('invalid_metadata', `metadata line ${line}: the path column is empty`);
  return { path: row.path.trim(), ...top, description };
}

/** Identifiers are checked before any work: one that leaves no room for page names is refused now, not when the job runs. */
function checkIds(rows: ItemMetadata[], file: string): ItemMetadata[] {
  for (const r of rows) {
    if (r.id !== undefined && !isValidIngestItemId(String(r.id))) {
      throw new BadRequestError('invalid_metadata', `${path.basename(file)}, ${r.path}: id "${String(r.id).slice(0, 140)}": ${isValidImageId(String(r.id)) ? INGEST_ITEM_ID_RULE : IMAGE_ID_RULE}`);
    }
  }
  return rows;
}

export async function readMetadata(file: string): Promise<ItemMetadata[]> {
  return checkIds(await readRows(file), file);
}

async function readRows(file: string): Promise<ItemMetadata[]> {
  const text = await readFile(file, 'utf8');
  if (path.extname(file).toLowerCase() === '.json') {
    let rows: unknown;
    try {
      rows = JSON.parse(text);
    } catch (err) {
      throw new BadRequestError('invalid_metadata', `${path.basename(file)}: ${(err as Error).message}`);
    }
    if (!Array.isArray(rows) || rows.some((r) => typeof r !== 'object' || r === null || typeof (r as ItemMetadata).path !== 'string')) {
      throw new BadRequestError('invalid_metadata', `${path.basename(file)}: must be an array of objects, each with a "path"`);
    }
    return (rows as ItemMetadata[]).map((r) => ({ ...r, description: r.description ?? {} }));
  }
  let rows: Record<string, string>[];
  try {
    rows = parse(text.replace(/^\uFEFF/, ''), { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  } catch (err) {
    throw new BadRequestError('invalid_metadata', `${path.basename(file)}: ${(err as Error).message}`);
  }
  return rows.map((r, i) => fromRow(r, i + 2));
}
