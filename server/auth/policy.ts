/**
 * The access policy: one pure function decides (identity, resource, action) → allow / reduced / deny.
 * Nothing else in the server decides access; `archive/service.ts` is its only caller.
 *
 * Levels (on libraries, collections and items; the nearest one set wins, `public` when none is):
 *   public           anyone
 *   public-reduced   anyone, but anonymous readers get images of at most `reducedMaxPx` on the long side
 *   registered       any signed-in reader (a library card account)
 *   researcher       the researcher role
 *   reading-room     a client inside the library's reading room (its address in `access.readingRoom`)
 *   staff            the library's own staff (librarian of the library or a library above it, admin)
 * An embargo (`embargoUntil`, a date) hides the content from everyone but staff until that day; then the
 * level underneath applies. Staff of a library may do anything to its resources; admin to all.
 */

export const ACCESS_LEVELS = ['public', 'public-reduced', 'registered', 'researcher', 'reading-room', 'staff'] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

export const ROLES = ['reader', 'researcher', 'librarian', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  /** Subject: the account's stable identifier at the identity provider. */
  readonly id: string;
  readonly name: string;
  readonly roles: readonly Role[];
  /** Library whose staff a librarian is; null for others. */
  readonly library: string | null;
}

export interface Identity {
  /** Null for an anonymous reader. */
  readonly user: User | null;
  /** The client's address is inside a configured reading-room range. */
  readonly inReadingRoom: boolean;
}

export const ANONYMOUS: Identity = Object.freeze({ user: null, inReadingRoom: false });

export interface Resource {
  readonly level: AccessLevel;
  /** ISO date (YYYY-MM-DD): the content is closed to all but staff before that day. */
  readonly embargoUntil: string | null;
  /** The owning library followed by the libraries above it (province last). */
  readonly libraries: readonly string[];
}

/**
 * discover: know it exists: listings, titles, the manifest (its pages are protected by their own services);
 * read: the content: images, OCR text, ALTO, PDF, search snippets, Content Search;
 * write: change the catalogue, ingest into it.
 */
export type Action = 'discover' | 'read' | 'write';

export type Decision =
  | { readonly effect: 'allow' }
  | { readonly effect: 'reduced'; readonly maxPx: number }
  /**
   * `login`: signing in may help (401); `forbidden`: this identity may not (403); `hidden`: answered as
   * if it did not exist (404), so that nobody learns of staff-only or unpublished things by guessing.
   */
  | { readonly effect: 'deny'; readonly reason: 'login' | 'forbidden' | 'hidden'; readonly message: string };

export interface PolicyOptions {
  readonly reducedMaxPx: number;
  /** Today, as YYYY-MM-DD (injected: the policy is pure). */
  readonly today: string;
}

const ALLOW: Decision = Object.freeze({ effect: 'allow' });

export function isStaffOf(identity: Identity, libraries: readonly string[]): boolean {
  const u = identity.user;
  if (!u) return false;
  if (u.roles.includes('admin')) return true;
  return u.roles.includes('librarian') && u.library !== null && libraries.includes(u.library);
}

function deny(identity: Identity, message: string, reason?: 'hidden' | 'forbidden'): Decision {
  return { effect: 'deny', reason: reason ?? (identity.user ? 'forbidden' : 'login'), message };
}

export function decide(identity: Identity, resource: Resource, action: Action, opts: PolicyOptions): Decision {
  if (isStaffOf(identity, resource.libraries)) return ALLOW;
  if (action === 'write') return deny(identity, 'only the library’s staff may change this');
  if (resource.level === 'staff') return deny(identity, 'not found', 'hidden');
  if (action === 'discover') return ALLOW;
  if (resource.embargoUntil !== null && opts.today < resource.embargoUntil) {
    return deny(identity, `under embargo until ${resource.embargoUntil}`, 'forbidden');
  }
  const user = identity.user;
  switch (resource.level) {
    case 'public':
      return ALLOW;
    case 'public-reduced':
      return user ? ALLOW : { effect: 'reduced', maxPx: opts.reducedMaxPx };
    case 'registered':
      return user ? ALLOW : deny(identity, 'sign in with a library card account to read this');
    case 'researcher':
      return user?.roles.includes('researcher') ? ALLOW : deny(identity, 'only researchers may read this');
    case 'reading-room':
      return identity.inReadingRoom ? ALLOW : deny(identity, 'this can be read only in the library’s reading room', 'forbidden');
  }
}

/** Levels as stored before access rights were enforced: `restricted` became `researcher`. */
export function migrateLevel(stored: string): AccessLevel {
  if (stored === 'restricted') return 'researcher';
  return (ACCESS_LEVELS as readonly string[]).includes(stored) ? (stored as AccessLevel) : 'staff';
}

/**
 * Who may give whom which roles: an administrator any roles; a librarian may make a reader a
 * researcher or back (reader and researcher only), never touching staff accounts.
 */
export function mayGrant(identity: Identity, current: readonly Role[], wanted: readonly Role[], library: string | null = null): boolean {
  const roles = identity.user?.roles ?? [];
  if (roles.includes('admin')) return true;
  if (!roles.includes('librarian') || library !== null) return false;
  const readerRoles = (r: readonly Role[]) => r.every((x) => x === 'reader' || x === 'researcher');
  return readerRoles(current) && readerRoles(wanted);
}
