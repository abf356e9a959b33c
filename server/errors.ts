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

/** 403: the caller may not do this. */
export class ForbiddenError extends AppError {
  constructor(message: string) {
    super(403, 'forbidden', message);
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
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}
