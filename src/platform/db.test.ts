import { describe, expect, it } from 'vitest';
import { preparedName, preparedStatements } from './db.js';

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
  });
});
