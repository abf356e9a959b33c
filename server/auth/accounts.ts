/**
 * Local accounts of the embedded identity provider, in the catalogue database: library card accounts
 * that readers open online, and staff accounts an administrator grants roles to. Passwords are hashed
 * with scrypt (Node's, N=2^15, r=8, p=1, 16-byte salt); comparisons are constant-time. One-time tokens
 * (e-mail verification, password reset) are stored hashed, so a copy of the database does not hold them.
 */
import { randomBytes, randomUUID, scrypt as scryptCb, timingSafeEqual, createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { z } from 'zod';
import { BadRequestError, ConflictError, NotFoundError } from '../errors.js';
import type { Db, Migration } from '../storage/sqlite.js';
import { parseOrThrow } from '../validation.js';
import { ROLES, type Role } from './policy.js';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export const ACCOUNT_MIGRATIONS: readonly Migration[] = [
  {
    version: 5,
    name: 'accounts',
    sql: `
      CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        password TEXT NOT NULL,
        roles TEXT NOT NULL,
        library_id TEXT,
        email_verified_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE account_tokens (
        hash TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        purpose TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
      CREATE TABLE sessions (
        hash TEXT PRIMARY KEY,
        data TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        idle_until TEXT NOT NULL
      );
      CREATE INDEX sessions_by_expiry ON sessions(expires_at);
    `,
  },
];

export interface Account {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly roles: readonly Role[];
  readonly library: string | null;
  readonly emailVerified: boolean;
}

export const Email = z.string().trim().toLowerCase().max(254).email('must be an e-mail address');
export const Password = z.string().min(10, 'must be at least 10 characters').max(200, 'must be at most 200 characters');
const NewAccount = z.object({ email: Email, name: z.string().trim().min(1, 'must not be empty').max(200), password: Password }).strict();

const hashToken = (t: string) => createHash('sha256').update(t).digest('hex');

async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password.normalize('NFC'), salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

async function checkPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const got = await scrypt(password.normalize('NFC'), Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem });
  return got.length === expected.length && timingSafeEqual(got, expected);
}

// A hash to compare against when the e-mail is unknown, so that a wrong e-mail takes as long as a
// wrong password (no account enumeration by timing).
let decoy: Promise<string> | null = null;

interface Row {
  id: string;
  email: string;
  name: string;
  password: string;
  roles: string;
  library_id: string | null;
  email_verified_at: string | null;
}

const toAccount = (r: Row): Account => ({
  id: r.id,
  email: r.email,
  name: r.name,
  roles: JSON.parse(r.roles) as Role[],
  library: r.library_id,
  emailVerified: r.email_verified_at !== null,
});

export class Accounts {
  constructor(private readonly db: Db) {}

  /** A reader's library card account (role `reader`), not yet verified. @throws BadRequestError, ConflictError */
  async register(input: unknown): Promise<Account> {
    const a = parseOrThrow(NewAccount, input, 'account');
    // Hashed first, whether or not the address is taken: the answer takes as long either way.
    const hashed = await hashPassword(a.password);
    if (this.db.prepare('SELECT 1 FROM accounts WHERE email = ?').get(a.email)) throw new ConflictError('an account with this e-mail exists');
    const now = new Date().toISOString();
    const id = randomUUID();
    this.db
      .prepare('INSERT INTO accounts (id, email, name, password, roles, library_id, email_verified_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, NULL, NULL, ?, ?)')
      .run(id, a.email, a.name, hashed, JSON.stringify(['reader']), now, now);
    return this.get(id)!;
  }

  /** For the CLI: an account with roles, verified. Replaces the password and roles of an existing one. */
  async upsert(email: string, name: string, password: string, roles: readonly Role[], library: string | null): Promise<Account> {
    const e = parseOrThrow(Email, email, 'email');
    parseOrThrow(Password, password, 'password');
    const now = new Date().toISOString();
    const existing = this.findByEmail(e);
    const id = existing?.id ?? randomUUID();
    this.db
      .prepare(
        `INSERT INTO accounts (id, email, name, password, roles, library_id, email_verified_at, created_at, updated_at) VALUES (@id, @e, @name, @pw, @roles, @lib, @now, @now, @now)
         ON CONFLICT(id) DO UPDATE SET name = @name, password = @pw, roles = @roles, library_id = @lib, email_verified_at = coalesce(email_verified_at, @now), updated_at = @now`,
      )
      .run({ id, e, name, pw: await hashPassword(password), roles: JSON.stringify(roles), lib: library, now });
    return this.get(id)!;
  }

  /** @throws NotFoundError, BadRequestError (unknown role; a librarian needs a library) */
  setRoles(email: string, roles: readonly string[], library: string | null): Account {
    const bad = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
    if (bad.length > 0) throw new BadRequestError('invalid_roles', `unknown role(s) ${bad.join(', ')}; roles are ${ROLES.join(', ')}`);
    if (roles.includes('librarian') && !library) throw new BadRequestError('invalid_roles', 'a librarian is staff of one library: name it');
    const a = this.findByEmail(parseOrThrow(Email, email, 'email'));
    if (!a) throw new NotFoundError(`no account "${email}"`, 'unknown_account');
    this.db.prepare('UPDATE accounts SET roles = ?, library_id = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(roles), library, new Date().toISOString(), a.id);
    return this.get(a.id)!;
  }

  get(id: string): Account | null {
    const r = this.db.prepare('SELECT * FROM accounts WHERE id = ?').get(id) as Row | undefined;
    return r ? toAccount(r) : null;
  }

  findByEmail(email: string): Account | null {
    const r = this.db.prepare('SELECT * FROM accounts WHERE email = ?').get(email.trim().toLowerCase()) as Row | undefined;
    return r ? toAccount(r) : null;
  }

  list(): Account[] {
    return (this.db.prepare('SELECT * FROM accounts ORDER BY email').all() as Row[]).map(toAccount);
  }

  /** The account when e-mail and password match; null otherwise, in the same time either way. */
  async authenticate(email: string, password: string): Promise<Account | null> {
    const r = this.db.prepare('SELECT * FROM accounts WHERE email = ?').get(String(email).trim().toLowerCase()) as Row | undefined;
    if (!r) {
      decoy ??= hashPassword(randomBytes(12).toString('hex'));
      await checkPassword(String(password), await decoy);
      return null;
    }
    return (await checkPassword(String(password), r.password)) ? toAccount(r) : null;
  }

  /** A one-time token for `purpose`, valid `seconds`; the raw token goes into the link mailed out. */
  issueToken(accountId: string, purpose: 'verify' | 'reset', seconds: number): string {
    const token = randomBytes(32).toString('base64url');
    this.db.prepare('DELETE FROM account_tokens WHERE account_id = ? AND purpose = ?').run(accountId, purpose);
    this.db.prepare('INSERT INTO account_tokens (hash, account_id, purpose, expires_at) VALUES (?, ?, ?, ?)').run(hashToken(token), accountId, purpose, new Date(Date.now() + seconds * 1000).toISOString());
    return token;
  }

  /** Uses up a token: the account it was for, or null (unknown, used or expired). */
  consumeToken(token: string, purpose: 'verify' | 'reset'): Account | null {
    const hash = hashToken(String(token));
    const row = this.db.prepare('SELECT account_id, expires_at FROM account_tokens WHERE hash = ? AND purpose = ?').get(hash, purpose) as { account_id: string; expires_at: string } | undefined;
    if (!row) return null;
    this.db.prepare('DELETE FROM account_tokens WHERE hash = ?').run(hash);
    return row.expires_at > new Date().toISOString() ? this.get(row.account_id) : null;
  }

  markVerified(id: string): void {
    this.db.prepare('UPDATE accounts SET email_verified_at = coalesce(email_verified_at, ?) WHERE id = ?').run(new Date().toISOString(), id);
  }

  async setPassword(id: string, password: string): Promise<void> {
    parseOrThrow(Password, password, 'password');
    this.db.prepare('UPDATE accounts SET password = ?, updated_at = ? WHERE id = ?').run(await hashPassword(password), new Date().toISOString(), id);
  }
}
