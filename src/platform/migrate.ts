/**
 * Plain .sql migrations (migrations/NNNN_name.sql), applied in order at start-up, the same
 * files on PGlite and PostgreSQL. Each file runs in its own transaction; an advisory lock
 * keeps two processes starting together from applying the same file twice.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Database } from './db.js';
import { sql } from 'kysely';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));
const LOCK_KEY = 0x7afa;

export async function migrate(database: Database, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f)).sort();
  const bodies = await Promise.all(files.map((f) => readFile(path.join(dir, f), 'utf8')));
  const script = (file: string, body: string) =>
    `begin;\n${body}\n;insert into schema_migrations (name) values ('${file.replace(/'/g, "''")}');\ncommit;`;
  const ensure = 'create table if not exists schema_migrations (name text primary key, applied_at timestamptz not null default now())';

  // One pinned connection on PostgreSQL: the session-level advisory lock must be taken and
  // released on the same connection, and a multi-statement script needs the simple protocol.
  // PGlite has one connection and no concurrent starter; it runs scripts through exec().
  if (database.engine === 'pglite') {
    await database.execScript(ensure);
    const done = new Set(
      (await sql<{ name: string }>`select name from schema_migrations`.execute(database.db)).rows.map((r) => r.name),
    );
    const applied: string[] = [];
    for (const [i, file] of files.entries()) {
      if (done.has(file)) continue;
      await database.execScript(script(file, bodies[i]!));
      applied.push(file);
    }
    return applied;
  }
  return database.db.connection().execute(async (conn) => {
    const run = (text: string) => sql.raw(text).execute(conn).then(() => undefined);
    await sql`select pg_advisory_lock(${LOCK_KEY})`.execute(conn);
    try {
      await run(ensure);
      const done = new Set(
        (await sql<{ name: string }>`select name from schema_migrations`.execute(conn)).rows.map((r) => r.name),
      );
      const applied: string[] = [];
      for (const [i, file] of files.entries()) {
        if (done.has(file)) continue;
        await run(script(file, bodies[i]!));
        applied.push(file);
      }
      return applied;
    } finally {
      await sql`select pg_advisory_unlock(${LOCK_KEY})`.execute(conn);
    }
  });
}
