/** Attempts per key (client address) in a fixed window: sign-in, registration and reset forms. */
import { TooManyRequestsError } from '../errors.js';

export class RateLimit {
  private readonly seen = new Map<string, { count: number; until: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** Counts one attempt. @throws TooManyRequestsError past the limit (429 with Retry-After). */
  hit(key: string): void {
    const now = Date.now();
    if (this.seen.size > 10_000) for (const [k, v] of this.seen) if (v.until < now) this.seen.delete(k);
    const e = this.seen.get(key);
    if (!e || e.until < now) {
      this.seen.set(key, { count: 1, until: now + this.windowMs });
      return;
    }
    e.count += 1;
    if (e.count > this.max) throw new TooManyRequestsError('too many attempts from this address; try again later', Math.ceil((e.until - now) / 1000));
  }
}
