/**
 * Failures of the cluster become `ServiceUnavailableError` (503): it cannot be reached, did not answer
 * in time, is overloaded (429), failed (5xx) or has no index behind our alias yet (a cluster that was
 * down when the server started). Any other refusal (4xx) is a bug in what we sent and is thrown as it came.
 */
import { errors } from '@elastic/elasticsearch';
import { ServiceUnavailableError } from '../../errors.js';

export function unavailable(err: unknown): ServiceUnavailableError | null {
  let reason: string | null = null;
  if (err instanceof errors.TimeoutError) reason = 'did not answer in time';
  else if (err instanceof errors.ConnectionError || err instanceof errors.NoLivingConnectionsError) reason = 'cannot be reached';
  else if (err instanceof errors.ResponseError && (err.statusCode === 429 || (err.statusCode ?? 0) >= 500)) {
    reason = err.statusCode === 429 ? 'is overloaded (429)' : `failed (${err.statusCode})`;
  } else if (err instanceof errors.ResponseError && err.statusCode === 404 && /index_not_found/.test(JSON.stringify(err.body ?? ''))) {
    // The alias is not there yet: the server prepares it when the cluster first answers (app.ts).
    reason = 'has no search index yet';
  }
  if (reason === null) return null;
  const e = new ServiceUnavailableError(`Search is unavailable: Elasticsearch ${reason}`);
  Object.defineProperty(e, 'cause', { value: err, enumerable: false });
  return e;
}

/** Runs a client call, mapping the cluster's failures to 503. */
export async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw unavailable(err) ?? err;
  }
}

/** Whether the error is a 404 answer (a missing document, alias or index). */
export const isNotFound = (err: unknown) => err instanceof errors.ResponseError && err.statusCode === 404;
