/**
 * Failed attempts per key (client address) in a fixed window: sign-in, and the forms that send mail
 * (registration, reset), where every submission counts. Past the limit everything from that key waits,
 * the right password included, until the window ends.
 */
import { TooManyRequestsError } from '../errors.js';

export class RateLimit {
  private readonly seen = new Map<string, { count: number; until: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** @throws TooManyRequestsError (429 with Retry-After) when the key has used up its attempts. */
  check(key: string): void {
    const e = this.seen.get(key);
    const now = Date.now();
    if (e && e.until > now && e.count >= this.max) {
      throw new TooManyRequestsError('too many attempts from this address; try again later', Math.ceil((e.until - now) / 1000));
    }
  }

  /** Counts one attempt against the key. */
  count(key: string): void {
    const now = Date.now();
    if (this.seen.size > 10_000) for (const [k, v] of this.seen) if (v.until < now) this.seen.delete(k);
    const e = this.seen.get(key);
    if (!e || e.until < now) this.seen.set(key, { count: 1, until: now + this.windowMs });
    else e.count += 1;
  }

  /** Gives one attempt back (a sign-in that succeeded). */
  forgive(key: string): void {
    const e = this.seen.get(key);
    if (e && e.count > 0) e.count -= 1;
  }

  /** check, then count: for forms where every submission is an attempt. */
  hit(key: string): void {
    this.check(key);
    this.count(key);
  }
}
