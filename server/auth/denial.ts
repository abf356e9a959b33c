/** A policy denial as the error the HTTP layer maps: 401 (sign-in may help), 403, or 404 (hidden). */
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../errors.js';
import type { Decision } from './policy.js';

/**
 * @param notFound the error an unknown identifier of the same kind gets: a hidden thing must answer
 * exactly like one that does not exist, or its identifier could be confirmed by guessing.
 */
export function denial(d: Decision & { effect: 'deny' }, notFound: () => Error = () => new NotFoundError('not found')): Error {
  if (d.reason === 'hidden') return notFound();
  if (d.reason === 'login') return new UnauthorizedError(d.message);
  return new ForbiddenError(d.message);
}
