/**
 * What chai's assert lacks from node:assert: `rejects`, and `throws` with a validation function.
 * Same meaning as node:assert's: the expected error may be
 *   - a class: the error must be an instance of it;
 *   - a RegExp: String(error) must match it;
 *   - a function: it is called with the error and must return exactly true (it may also assert);
 *   - left out: any error will do.
 * `message`, when given, replaces the generated failure message. Failures are chai AssertionErrors.
 */
import { assert } from 'chai';

export type ExpectedError = RegExp | (abstract new (...args: any[]) => unknown) | ((error: any) => boolean);

const NONE = Symbol('no error');

function check(error: unknown, expected: ExpectedError | undefined, message: string | undefined, what: string): void {
  if (error === NONE) assert.fail(message ?? `Missing expected ${what}${expected instanceof RegExp ? ` matching ${expected}` : ''}.`);
  if (expected === undefined) return;
  if (expected instanceof RegExp) {
    assert.match(String(error), expected, message ?? `The ${what}'s error does not match ${expected}`);
    return;
  }
  if (expected.prototype !== undefined && error instanceof expected) return;
  if (Object.prototype.isPrototypeOf.call(Error, expected) || expected === Error) {
    assert.fail(message ?? `The error is expected to be an instance of "${expected.name}". Received ${String(error)}`);
  }
  const result = Reflect.apply(expected as (error: unknown) => unknown, {}, [error]);
  if (result !== true) assert.fail(message ?? `The validation function is expected to return true. Received ${String(result)}, for the error ${String(error)}`);
}

/** node:assert's `rejects`: awaits the promise (or the function's promise), which must reject as expected. */
export async function rejects(promise: Promise<unknown> | (() => Promise<unknown>), expected?: ExpectedError, message?: string): Promise<void> {
  let error: unknown = NONE;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (e) {
    error = e;
  }
  check(error, expected, message, 'rejection');
}

/** node:assert's `throws`, for what chai's cannot do: a validation function as the expected error. */
export function throws(fn: () => unknown, expected?: ExpectedError, message?: string): void {
  let error: unknown = NONE;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  check(error, expected, message, 'exception');
}
