/** A policy denial as the error the HTTP layer maps: 401 (sign-in may help), 403, or 404 (hidden). */
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../errors.js';
import type { Decision } from './policy.js';

export function denial(d: Decision & { effect: 'deny' }): Error {
  if (d.reason === 'hidden') return new NotFoundError('not found', 'not_found');
  if (d.reason === 'login') return new UnauthorizedError(d.message);
  return new ForbiddenError(d.message);
}
