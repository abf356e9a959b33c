/**
 * zod at the edge: a failed parse becomes one BadRequestError naming every bad field by its path
 * (`description.title.vi: must not be empty; canvases.2.image: …`).
 */
import type { z } from 'zod';
import { BadRequestError } from './errors.js';

export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || what}: ${i.message}`);
  throw new BadRequestError('invalid_fields', `invalid ${what}: ${problems.join('; ')}`);
}
