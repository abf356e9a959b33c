/**
 * Where the embedded provider keeps its state (sessions, grants, codes, refresh tokens, interactions):
 * the catalogue database, so that a restart does not sign everyone out and a refresh token issued
 * yesterday still works. oidc-provider's adapter contract: one instance per model name; `payload` as
 * given; expired rows are never returned and are swept on write.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Db, Migration } from '../../storage/sqlite.js';

export const PROVIDER_MIGRATIONS: readonly Migration[] = [
  {
    version: 6,
    name: 'oidc-provider-store',
    sql: `
      CREATE TABLE oidc_store (
        model TEXT NOT NULL,
        id TEXT NOT NULL,
        payload TEXT NOT NULL,
        grant_id TEXT,
        user_code TEXT,
        uid TEXT,
        expires_at INTEGER,
        PRIMARY KEY (model, id)
      );
      CREATE INDEX oidc_store_grant ON oidc_store(grant_id);
      CREATE INDEX oidc_store_uid ON oidc_store(model, uid);
      CREATE INDEX oidc_store_expiry ON oidc_store(expires_at);
    `,
  },
];

export function sqliteAdapter(db: Db): new (model: string) => Adapter {
  let writes = 0;
  return class SqliteAdapter implements Adapter {
    constructor(private readonly model: string) {}

    private row(where: string, value: string): AdapterPayload | undefined {
      const r = db.prepare(`SELECT payload, expires_at FROM oidc_store WHERE model = ? AND ${where} = ?`).get(this.model, value) as { payload: string; expires_at: number | null } | undefined;
      if (!r || (r.expires_at !== null && r.expires_at < Date.now())) return undefined;
      return JSON.parse(r.payload) as AdapterPayload;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      db.prepare(
        `INSERT INTO oidc_store (model, id, payload, grant_id, user_code, uid, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id, user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at`,
      ).run(this.model, id, JSON.stringify(payload), payload.grantId ?? null, payload.userCode ?? null, payload.uid ?? null, expiresIn ? Date.now() + expiresIn * 1000 : null);
      if (++writes % 200 === 0) db.prepare('DELETE FROM oidc_store WHERE expires_at < ?').run(Date.now());
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return this.row('id', id);
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return this.row('user_code', userCode);
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return this.row('uid', uid);
    }

    async consume(id: string): Promise<void> {
      const p = this.row('id', id);
      if (!p) return;
      db.prepare('UPDATE oidc_store SET payload = ? WHERE model = ? AND id = ?').run(JSON.stringify({ ...p, consumed: Math.floor(Date.now() / 1000) }), this.model, id);
    }

    async destroy(id: string): Promise<void> {
      db.prepare('DELETE FROM oidc_store WHERE model = ? AND id = ?').run(this.model, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      db.prepare('DELETE FROM oidc_store WHERE grant_id = ?').run(grantId);
    }
  };
}
