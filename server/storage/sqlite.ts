/**
 * SQLite (better-sqlite3) with versioned migrations. Each migration runs once, inside a transaction,
 * and is recorded in `schema_migrations`; a database newer than the code is refused rather than used.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export function openDatabase(file: string, migrations: readonly Migration[]): Db {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  const newest = Math.max(0, ...migrations.map((m) => m.version));
  const ahead = [...applied].filter((v) => v > newest);
  if (ahead.length > 0) {
    db.close();
    throw new Error(`${file} has schema version ${Math.max(...ahead)}, newer than this program knows (${newest})`);
  }
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
    })();
  }
  return db;
}
