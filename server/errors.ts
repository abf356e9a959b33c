/**
 * Errors are classes; `http/errors.ts` maps them to HTTP in one place.
 * `publicMessage` is what the client sees: it must say what was wrong with the request.
 * Anything that is not an AppError is a bug on our side and becomes a logged, generic 500.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    /** Stable machine-readable code, e.g. `invalid_region`. */
    readonly code: string,
    readonly publicMessage: string,
  ) {
    super(publicMessage);
    this.name = new.target.name;
  }
}

/** 400: the request is malformed or asks for something the spec forbids. */
export class BadRequestError extends AppError {
  constructor(code: string, message: string) {
    super(400, code, message);
  }
}

/**
 * 401: signing in may give access. `challenge` is the WWW-Authenticate value (RFC 6750 §3 for bearer
 * tokens); `iiif` carries what the IIIF Authorization services of the resource say, for info.json.
 */
export class UnauthorizedError extends AppError {
  constructor(message: string, readonly challenge = 'Bearer realm="vankho"') {
    super(401, 'unauthorized', message);
  }
}

/** 403: the caller may not do this. */
export class ForbiddenError extends AppError {
  constructor(message: string, code = 'forbidden') {
    super(403, code, message);
  }
}

/** 404: a well-formed identifier that names nothing we hold. */
export class NotFoundError extends AppError {
  constructor(message: string, code = 'not_found') {
    super(404, code, message);
  }
}

/** 405: the resource exists but does not take this method; `allow` lists those it takes. */
export class MethodNotAllowedError extends AppError {
  constructor(
    message: string,
    readonly allow: string,
  ) {
    super(405, 'method_not_allowed', message);
  }
}

/** 429: too many attempts (sign-in, registration); `retryAfter` in seconds. */
export class TooManyRequestsError extends AppError {
  constructor(message: string, readonly retryAfter: number) {
    super(429, 'too_many_requests', message);
  }
}

/** 413: an upload or input file over the configured size. */
export class PayloadTooLargeError extends AppError {
  constructor(message: string) {
    super(413, 'too_large', message);
  }
}

/** 422: input that is well-formed as a request but cannot be used (corrupt, disguised, a bomb). */
export class InvalidInputError extends AppError {
  constructor(code: string, message: string) {
    super(422, code, message);
  }
}

/** 409: the target already exists and the caller did not ask to replace it. */
export class ConflictError extends AppError {
  constructor(message: string) {
    super(409, 'conflict', message);
  }
}

/** A bad configuration value: stops start-up with a message naming the key. Never reaches HTTP. */
/**
 * 503: we cannot answer now — a service we depend on (the Elasticsearch cluster) is down, or the image
 * renderers are all busy and their queue is full (`overloaded`); the request was fine: retry after `retryAfter` s.
 */
export class ServiceUnavailableError extends AppError {
  constructor(message: string, readonly retryAfter = 30, code = 'service_unavailable') {
    super(503, code, message);
  }
}

/**
 * Our storage failed the request, not the client: full (507 `storage_full`), read-only or failing
 * (503 `storage_read_only`, `storage_failed`). Nothing stored was lost; retry after `retryAfter` s,
 * once an operator has freed space or repaired the disk. An ingest job meeting one is paused, not
 * failed. Made from system errors by `storage/faults.ts`.
 */
export class StorageFaultError extends AppError {
  constructor(
    status: 503 | 507,
    code: 'storage_full' | 'storage_read_only' | 'storage_failed',
    message: string,
    readonly retryAfter = 300,
  ) {
    super(status, code, message);
  }
}

/**
 * The client closed the connection before its answer was ready; the work for it was dropped or stopped.
 * Nothing is sent (nginx's 499 in the request log); not an error of ours.
 */
export class ClientGoneError extends AppError {
  constructor() {
    super(499, 'client_gone', 'the client closed the connection before the answer was ready');
  }
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}
