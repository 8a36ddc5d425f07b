import { describe, expect, inject, it } from 'vitest';
import { sql } from 'kysely';
import { forgetPreparedNames, openPostgres, preparedName, preparedStatements, type Database } from './db.js';

describe('prepared statements (PostgreSQL)', () => {
  it('names a text only once it comes back, the same name every time', () => {
    const text = `select $1::int as x -- ${Math.random()}`;
    const seen = Array.from({ length: preparedStatements.minUses + 2 }, () => preparedName(text));
    expect(seen.slice(0, preparedStatements.minUses - 1)).toEqual(Array(preparedStatements.minUses - 1).fill(null));
    const named = seen.slice(preparedStatements.minUses - 1);
    expect(named[0]).toMatch(/^vafa_[0-9a-f]{20}$/);
    expect(new Set(named).size).toBe(1);
  });

  it('stops naming new texts at the cap, so varying shapes cannot fill the server', () => {
    const texts = Array.from({ length: preparedStatements.maxPrepared + 20 }, (_, i) => `select $1::int + ${i} -- cap ${Math.random()}`);
    const names = texts.map((t) => {
      let n: string | null = null;
      for (let k = 0; k < preparedStatements.minUses; k++) n = preparedName(t);
      return n;
    });
    const given = names.filter((n) => n !== null);
    expect(given.length).toBeLessThanOrEqual(preparedStatements.maxPrepared);
    expect(names.at(-1)).toBeNull();
    forgetPreparedNames();
    expect(preparedName(texts.at(-1)!)).toBeNull(); // counted afresh
  });
});

describe.skipIf(!inject('pgUrl'))('prepared statements on a real PostgreSQL', () => {
  const countPrepared = async (d: Database) =>
    (await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements where name like 'vafa\\_%'`.execute(d.db)).rows[0]!.n;

  it('a repeated statement runs prepared on its connection, with the right answers every time', async () => {
    const d = await openPostgres(inject('pgUrl')!, { max: 1 });
    try {
      const text = Math.random().toString(36).slice(2);
      const answers: number[] = [];
      for (let i = 0; i < preparedStatements.minUses + 3; i++)
        answers.push((await sql<{ x: number }>`select ${i}::int + length(${text}::text) * 0 as x`.execute(d.db)).rows[0]!.x);
      expect(answers).toEqual(Array.from({ length: preparedStatements.minUses + 3 }, (_, i) => i));
      expect(await countPrepared(d)).toBeGreaterThanOrEqual(1);
      const mode = (await sql<{ m: string }>`select current_setting('plan_cache_mode') as m`.execute(d.db)).rows[0]!.m;
      expect(mode).toBe('force_custom_plan');
    } finally {
      await d.close();
    }
  });

  it('VAFA_PG_PREPARE=0 (prepare: false) prepares nothing and sets nothing at connect', async () => {
    const d = await openPostgres(inject('pgUrl')!, { max: 1, prepare: false });
    try {
      for (let i = 0; i < preparedStatements.minUses + 3; i++) await sql`select ${i}::int as x`.execute(d.db);
      expect(await countPrepared(d)).toBe(0);
      // …and sends no `options` start-up parameter (a pooler would refuse it): the server's default mode.
      const mode = (await sql<{ m: string }>`select current_setting('plan_cache_mode') as m`.execute(d.db)).rows[0]!.m;
      expect(mode).toBe('auto');
    } finally {
      await d.close();
    }
  });
});
