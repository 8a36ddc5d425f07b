import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  DRAW_FORMAT,
  DrawInputError,
  MAX_CHANCES,
  canonicalEntries,
  commitment,
  drawNumber,
  drawWinners,
  entriesDigest,
  newSeed,
  verifyDraw,
  type DrawEntry,
  type PublishedDraw,
} from './draw.js';

// ---------------------------------------------------------------------------------------------
// Helpers

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
/** Deterministic seeds so that every run checks the same draws (no flaky statistics). */
const seedFor = (label: string | number): string => sha256(`vafa-draw-test-seed:${label}`);

/** Small deterministic PRNG (mulberry32) for shuffling test data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = items.slice();
  const rnd = prng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * A second, deliberately naive implementation written from docs/draws.md alone: byte-order sort
 * with Buffer.compare, BigInt arithmetic, a linear scan over the remaining entries.
 */
function referenceDraw(seedHex: string, drawId: string, entries: DrawEntry[], wanted: number): { rank: number; ref: string }[] {
  const remaining = entries.slice().sort((a, b) => Buffer.compare(Buffer.from(a.ref, 'utf8'), Buffer.from(b.ref, 'utf8')));
  const key = Buffer.from(seedHex, 'hex');
  const out: { rank: number; ref: string }[] = [];
  const count = Math.min(wanted, remaining.length);
  for (let rank = 1; rank <= count; rank++) {
    const total = remaining.reduce((sum, e) => sum + BigInt(e.chances), 0n);
    const limit = 2n ** 64n - (2n ** 64n % total);
    let u = -1n;
    for (let attempt = 0; u < 0n; attempt++) {
      const r = createHmac('sha256', key).update(`${drawId}:${rank}:${attempt}`).digest().readBigUInt64BE(0);
      if (r < limit) u = r % total;
    }
    let start = 0n;
    const index = remaining.findIndex((e) => {
      const end = start + BigInt(e.chances);
      if (u < end) return true;
      start = end;
      return false;
    });
    out.push({ rank, ref: remaining[index].ref });
    remaining.splice(index, 1);
  }
  return out;
}

function publish(seedHex: string, drawId: string, entries: DrawEntry[], wanted: number): PublishedDraw {
  const result = drawWinners({ seedHex, drawId, entries, winners: wanted });
  return {
    format: DRAW_FORMAT,
    drawId,
    commitment: commitment(seedHex),
    seedHex,
    entries: canonicalEntries(entries),
    entriesDigest: result.digest,
    totalChances: result.totalChances,
    winnerCount: wanted,
    winners: result.winners,
  };
}

function inputCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof DrawInputError) return err.code;
    throw err;
  }
  return undefined;
}

/** Pearson's chi-square statistic. */
function chiSquare(observed: number[], expected: number[]): number {
  return observed.reduce((sum, o, i) => sum + (o - expected[i]) ** 2 / expected[i], 0);
}
const CHI2_DF4_P001 = 18.47;

const crowd = (n: number): DrawEntry[] =>
  Array.from({ length: n }, (_, i) => ({ ref: `09${String(i % 100).padStart(2, '0')}***${String(i % 10_000).padStart(4, '0')}#${i.toString(16).padStart(5, '0')}`, chances: 1 + ((i * 7919) % 100) }));

// ---------------------------------------------------------------------------------------------
// Worked example: the same numbers are in docs/draws.md

const EXAMPLE = {
  seedHex: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
  drawId: 'drw_example',
  entries: [
    { ref: '0912***4567#a1b2', chances: 5 },
    { ref: '0935***1234#c3d4', chances: 2 },
    { ref: '0901***9876#e5f6', chances: 1 },
    { ref: '0912***4567#09ff', chances: 3 },
  ],
};

describe('worked example (docs/draws.md)', () => {
  test('commitment, canonical order, digest', () => {
    expect(commitment(EXAMPLE.seedHex)).toBe('630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd');
    expect(canonicalEntries(EXAMPLE.entries).map((e) => e.ref)).toEqual(['0901***9876#e5f6', '0912***4567#09ff', '0912***4567#a1b2', '0935***1234#c3d4']);
    expect(sha256('0901***9876#e5f6\t1\n0912***4567#09ff\t3\n0912***4567#a1b2\t5\n0935***1234#c3d4\t2\n')).toBe(
      '307bed4a439b6ad96ffcc950d1c1a7f73dcbf55610b2cb0234741e28fb5f08b8',
    );
    expect(entriesDigest(EXAMPLE.entries)).toBe('307bed4a439b6ad96ffcc950d1c1a7f73dcbf55610b2cb0234741e28fb5f08b8');
  });

  test('the numbers drawn per rank', () => {
    const rows = [
      { rank: 1, bound: 11n, first8: 'aaf93e878e2a4ebe', r: 12319947007575346878n, u: 2n },
      { rank: 2, bound: 8n, first8: 'ddb8abc7b27e70f3', r: 15976708552278307059n, u: 3n },
      { rank: 3, bound: 3n, first8: '890d7176e450ae3f', r: 9875674313343938111n, u: 2n },
    ];
    for (const row of rows) {
      const mac = createHmac('sha256', Buffer.from(EXAMPLE.seedHex, 'hex')).update(`drw_example:${row.rank}:0`).digest();
      expect(mac.subarray(0, 8).toString('hex')).toBe(row.first8);
      expect(mac.readBigUInt64BE(0)).toBe(row.r);
      expect(row.r % row.bound).toBe(row.u);
      expect(drawNumber(EXAMPLE.seedHex, EXAMPLE.drawId, row.rank, row.bound)).toEqual({ value: row.u, attempts: 1 });
    }
  });

  test('winners', () => {
    expect(drawWinners({ ...EXAMPLE, winners: 3 })).toEqual({
      winners: [
        { rank: 1, ref: '0912***4567#09ff', chances: 3 },
        { rank: 2, ref: '0912***4567#a1b2', chances: 5 },
        { rank: 3, ref: '0935***1234#c3d4', chances: 2 },
      ],
      totalChances: 11,
      digest: '307bed4a439b6ad96ffcc950d1c1a7f73dcbf55610b2cb0234741e28fb5f08b8',
    });
  });

  test('the example document printed in docs/draws.md verifies', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../../docs/draws.md', import.meta.url)), 'utf8');
    const block = /<!-- example-document -->\s*```json\n([\s\S]*?)```/.exec(doc);
    expect(block, 'docs/draws.md has the example document').not.toBeNull();
    const published = JSON.parse(block![1]) as PublishedDraw;
    // the informational fields (festivalId, title, times) are ignored; the rest is exactly what the code publishes
    expect(published).toMatchObject(publish(EXAMPLE.seedHex, EXAMPLE.drawId, EXAMPLE.entries, 3));
    expect(verifyDraw(published)).toMatchObject({ valid: true, problems: [] });
  });
});

// ---------------------------------------------------------------------------------------------

describe('seed and commitment', () => {
  test('newSeed asks for 32 bytes and returns them as hex', () => {
    const asked: number[] = [];
    const seed = newSeed((n) => {
      asked.push(n);
      return Buffer.alloc(n, 0xab);
    });
    expect(asked).toEqual([32]);
    expect(seed).toBe('ab'.repeat(32));
  });

  test('newSeed refuses a short buffer', () => {
    expect(inputCode(() => newSeed(() => Buffer.alloc(16)))).toBe('invalid_seed');
  });

  test('commitment hashes the raw bytes, not the hex text, and ignores hex case', () => {
    const seed = seedFor('commit');
    expect(commitment(seed)).toBe(createHash('sha256').update(Buffer.from(seed, 'hex')).digest('hex'));
    expect(commitment(seed)).not.toBe(sha256(seed));
    expect(commitment(seed.toUpperCase())).toBe(commitment(seed));
  });

  test.each(['', 'abc', 'zz'.repeat(32), 'ab'.repeat(31), 'ab'.repeat(33)])('seed %j is rejected', (seed) => {
    expect(inputCode(() => commitment(seed))).toBe('invalid_seed');
  });
});

describe('canonical entries and digest', () => {
  test('sorted by UTF-8 bytes, not by UTF-16 units', () => {
    // U+FB50 (Arabic presentation form) sorts before U+1D11E in UTF-8, after it in UTF-16.
    const entries = [
      { ref: '\u{1D11E}', chances: 1 },
      { ref: '\uFB50', chances: 1 },
      { ref: 'a', chances: 1 },
      { ref: 'ab', chances: 1 },
      { ref: 'B', chances: 1 },
    ];
    expect(canonicalEntries(entries).map((e) => e.ref)).toEqual(['B', 'a', 'ab', '\uFB50', '\u{1D11E}']);
  });

  test('returns fresh entries without extra fields and leaves the input alone', () => {
    const input = [
      { ref: 'b', chances: 2, memberId: 'mbr_1' },
      { ref: 'a', chances: 1, memberId: 'mbr_2' },
    ];
    const copy = structuredClone(input);
    expect(canonicalEntries(input)).toEqual([
      { ref: 'a', chances: 1 },
      { ref: 'b', chances: 2 },
    ]);
    expect(input).toEqual(copy);
  });

  test('empty list digests to SHA-256 of nothing', () => {
    expect(entriesDigest([])).toBe(sha256(''));
  });

  test('digest depends on chances and membership but not on input order', () => {
    const entries = crowd(50);
    const digest = entriesDigest(entries);
    expect(entriesDigest(shuffled(entries, 1))).toBe(digest);
    expect(entriesDigest(entries.map((e, i) => (i === 7 ? { ...e, chances: e.chances + 1 } : e)))).not.toBe(digest);
    expect(entriesDigest(entries.slice(1))).not.toBe(digest);
  });

  test.each([
    ['duplicate ref', [{ ref: 'a', chances: 1 }, { ref: 'b', chances: 1 }, { ref: 'a', chances: 2 }], 'duplicate_ref'],
    ['zero chances', [{ ref: 'a', chances: 0 }], 'invalid_chances'],
    ['negative chances', [{ ref: 'a', chances: -1 }], 'invalid_chances'],
    ['fractional chances', [{ ref: 'a', chances: 1.5 }], 'invalid_chances'],
    ['chances above 2^31', [{ ref: 'a', chances: MAX_CHANCES + 1 }], 'invalid_chances'],
    ['NaN chances', [{ ref: 'a', chances: Number.NaN }], 'invalid_chances'],
    ['chances as text', [{ ref: 'a', chances: '3' as unknown as number }], 'invalid_chances'],
    ['empty ref', [{ ref: '', chances: 1 }], 'invalid_ref'],
    ['tab in ref', [{ ref: 'a\tb', chances: 1 }], 'invalid_ref'],
    ['newline in ref', [{ ref: 'a\nb', chances: 1 }], 'invalid_ref'],
    ['lone surrogate in ref', [{ ref: 'a\ud800', chances: 1 }], 'invalid_ref'],
    ['ref not a string', [{ ref: 42 as unknown as string, chances: 1 }], 'invalid_ref'],
  ])('%s is rejected', (_name, entries, code) => {
    expect(inputCode(() => canonicalEntries(entries))).toBe(code);
    expect(inputCode(() => entriesDigest(entries))).toBe(code);
    expect(inputCode(() => drawWinners({ seedHex: seedFor(0), drawId: 'drw_1', entries, winners: 1 }))).toBe(code);
  });

  test('2^31 chances is allowed', () => {
    expect(canonicalEntries([{ ref: 'a', chances: MAX_CHANCES }])).toHaveLength(1);
  });
});

describe('drawWinners', () => {
  const entries = crowd(200);

  test('same seed and list give the same winners', () => {
    const a = drawWinners({ seedHex: seedFor(1), drawId: 'drw_1', entries, winners: 5 });
    const b = drawWinners({ seedHex: seedFor(1), drawId: 'drw_1', entries: entries.slice(), winners: 5 });
    expect(b).toEqual(a);
    expect(a.winners).toHaveLength(5);
  });

  test('different seeds almost always give different winners', () => {
    let same = 0;
    for (let i = 0; i < 100; i++) {
      const a = drawWinners({ seedHex: seedFor(`a${i}`), drawId: 'drw_1', entries, winners: 3 });
      const b = drawWinners({ seedHex: seedFor(`b${i}`), drawId: 'drw_1', entries, winners: 3 });
      if (JSON.stringify(a.winners) === JSON.stringify(b.winners)) same++;
    }
    expect(same).toBeLessThanOrEqual(1);
  });

  test('the draw id separates draws that share a seed', () => {
    const a = drawWinners({ seedHex: seedFor(2), drawId: 'drw_stage1', entries, winners: 5 });
    const b = drawWinners({ seedHex: seedFor(2), drawId: 'drw_stage2', entries, winners: 5 });
    expect(b.winners).not.toEqual(a.winners);
  });

  test('input order does not matter', () => {
    const base = drawWinners({ seedHex: seedFor(3), drawId: 'drw_1', entries, winners: 10 });
    for (const variant of [entries.slice().reverse(), shuffled(entries, 42), canonicalEntries(entries)]) {
      expect(drawWinners({ seedHex: seedFor(3), drawId: 'drw_1', entries: variant, winners: 10 })).toEqual(base);
    }
  });

  test('more winners than entries: every entry wins, in drawn order', () => {
    const few = crowd(6);
    const result = drawWinners({ seedHex: seedFor(4), drawId: 'drw_1', entries: few, winners: 10 });
    expect(result.winners.map((w) => w.rank)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(result.winners.map((w) => w.ref).sort()).toEqual(few.map((e) => e.ref).sort());
    // the first ranks are the same as when asking for fewer: the draw is a prefix
    expect(drawWinners({ seedHex: seedFor(4), drawId: 'drw_1', entries: few, winners: 2 }).winners).toEqual(result.winners.slice(0, 2));
  });

  test('one entry', () => {
    expect(drawWinners({ seedHex: seedFor(5), drawId: 'drw_1', entries: [{ ref: 'only', chances: 7 }], winners: 3 })).toEqual({
      winners: [{ rank: 1, ref: 'only', chances: 7 }],
      totalChances: 7,
      digest: sha256('only\t7\n'),
    });
  });

  test('zero entries or zero winners: nobody wins', () => {
    expect(drawWinners({ seedHex: seedFor(6), drawId: 'drw_1', entries: [], winners: 3 })).toEqual({ winners: [], totalChances: 0, digest: sha256('') });
    expect(drawWinners({ seedHex: seedFor(6), drawId: 'drw_1', entries, winners: 0 }).winners).toEqual([]);
  });

  test.each([-1, 1.5, Number.NaN])('winner count %s is rejected', (winners) => {
    expect(inputCode(() => drawWinners({ seedHex: seedFor(7), drawId: 'drw_1', entries, winners }))).toBe('invalid_winner_count');
  });

  test.each(['', 'drw 1', 'قرعه', 'x'.repeat(129)])('draw id %j is rejected', (drawId) => {
    expect(inputCode(() => drawWinners({ seedHex: seedFor(7), drawId, entries, winners: 1 }))).toBe('invalid_draw_id');
  });

  test('a total above 2^53 − 1 is refused rather than rounded', () => {
    // 2^22 + 1 entries of 2^31 chances; one shared object keeps the test cheap (the total is checked before duplicates).
    const heavy = new Array<DrawEntry>(2 ** 22 + 1).fill({ ref: 'r', chances: MAX_CHANCES });
    expect(inputCode(() => entriesDigest(heavy))).toBe('total_chances_too_large');
  });

  test('matches the naive reference implementation on a larger list', () => {
    const big = shuffled(crowd(3000), 9);
    for (let i = 0; i < 5; i++) {
      const ours = drawWinners({ seedHex: seedFor(`ref${i}`), drawId: `drw_${i}`, entries: big, winners: 25 });
      expect(ours.winners.map(({ rank, ref }) => ({ rank, ref }))).toEqual(referenceDraw(seedFor(`ref${i}`), `drw_${i}`, big, 25));
    }
  });
});

describe('drawNumber (integer derivation)', () => {
  test('rejects r ≥ 2^64 − (2^64 mod bound) and moves to the next attempt', () => {
    // bound 2^63 + 1: limit is 2^63 + 1, so about half of all first attempts are rejected.
    const bound = 2n ** 63n + 1n;
    const seed = seedFor('rejection');
    const key = Buffer.from(seed, 'hex');
    const r = (rank: number, attempt: number) => createHmac('sha256', key).update(`drw_rej:${rank}:${attempt}`).digest().readBigUInt64BE(0);
    let checked = 0;
    for (let rank = 1; rank <= 40; rank++) {
      const first = r(rank, 0);
      const result = drawNumber(seed, 'drw_rej', rank, bound);
      if (first >= bound) {
        let attempt = 1;
        while (r(rank, attempt) >= bound) attempt++;
        expect(result).toEqual({ value: r(rank, attempt) % bound, attempts: attempt + 1 });
        checked++;
      } else {
        expect(result).toEqual({ value: first, attempts: 1 });
      }
    }
    expect(checked).toBeGreaterThan(5);
  });

  test('rank and bound are checked', () => {
    expect(inputCode(() => drawNumber(seedFor(1), 'drw_1', 0, 5n))).toBe('invalid_rank');
    expect(inputCode(() => drawNumber(seedFor(1), 'drw_1', 1, 0n))).toBe('invalid_bound');
    expect(inputCode(() => drawNumber(seedFor(1), 'drw_1', 1, 2n ** 64n + 1n))).toBe('invalid_bound');
  });

  test('bounds 1 and 2^64 never reject', () => {
    expect(drawNumber(seedFor(1), 'drw_1', 1, 1n)).toEqual({ value: 0n, attempts: 1 });
    const mac = createHmac('sha256', Buffer.from(seedFor(1), 'hex')).update('drw_1:1:0').digest();
    expect(drawNumber(seedFor(1), 'drw_1', 1, 2n ** 64n)).toEqual({ value: mac.readBigUInt64BE(0), attempts: 1 });
  });
});

describe('statistics', () => {
  const weights = [1, 2, 3, 4, 10];
  const total = weights.reduce((a, b) => a + b, 0);
  const entries = weights.map((chances, i) => ({ ref: `0912***000${i}#w${chances}`, chances }));
  const indexOf = new Map(entries.map((e, i) => [e.ref, i]));
  const draws = 20_000;

  test('single winner: frequencies follow the chances (chi-square, df 4, p = 0.001)', () => {
    const observed = weights.map(() => 0);
    for (let i = 0; i < draws; i++) {
      const [winner] = drawWinners({ seedHex: seedFor(`single${i}`), drawId: 'drw_stats', entries, winners: 1 }).winners;
      observed[indexOf.get(winner.ref)!]++;
    }
    const expected = weights.map((w) => (draws * w) / total);
    const chi2 = chiSquare(observed, expected);
    console.log(`single winner: observed ${observed.join(', ')}; expected ${expected.join(', ')}; chi² ${chi2.toFixed(2)}`);
    expect(chi2).toBeLessThan(CHI2_DF4_P001);
  });

  test('two winners without replacement: first and second ranks follow their distributions', () => {
    const first = weights.map(() => 0);
    const second = weights.map(() => 0);
    for (let i = 0; i < draws; i++) {
      const [a, b] = drawWinners({ seedHex: seedFor(`pair${i}`), drawId: 'drw_stats', entries, winners: 2 }).winners;
      expect(a.ref).not.toBe(b.ref);
      first[indexOf.get(a.ref)!]++;
      second[indexOf.get(b.ref)!]++;
    }
    const expectedFirst = weights.map((w) => (draws * w) / total);
    // P(second = j) = Σ_{i≠j} w_i/W · w_j/(W − w_i)
    const expectedSecond = weights.map((wj, j) => draws * weights.reduce((p, wi, i) => (i === j ? p : p + (wi / total) * (wj / (total - wi))), 0));
    const chiFirst = chiSquare(first, expectedFirst);
    const chiSecond = chiSquare(second, expectedSecond);
    console.log(`two winners: first ${first.join(', ')} (chi² ${chiFirst.toFixed(2)}); second ${second.join(', ')} (chi² ${chiSecond.toFixed(2)})`);
    expect(chiFirst).toBeLessThan(CHI2_DF4_P001);
    expect(chiSecond).toBeLessThan(CHI2_DF4_P001);
  });
});

describe('verifyDraw', () => {
  const seedHex = seedFor('verify');
  const entries = crowd(300);
  const good = publish(seedHex, 'drw_verify', entries, 5);

  test('an honest publication verifies', () => {
    const result = verifyDraw(good);
    expect(result).toEqual({
      valid: true,
      problems: [],
      recomputed: { commitment: good.commitment, entriesDigest: good.entriesDigest, totalChances: good.totalChances, winners: good.winners },
    });
  });

  test('also after a JSON round trip, without the optional fields', () => {
    const { format: _f, totalChances: _t, winnerCount: _w, ...rest } = JSON.parse(JSON.stringify(good)) as PublishedDraw;
    expect(verifyDraw({ ...rest, winners: rest.winners.map(({ rank, ref }) => ({ rank, ref })) }).valid).toBe(true);
  });

  const codes = (doc: unknown) => verifyDraw(doc as PublishedDraw).problems.map((p) => p.split(':')[0]);

  test('one chance changed fails on the digest', () => {
    const tampered = { ...good, entries: good.entries.map((e, i) => (i === 10 ? { ...e, chances: e.chances + 1 } : e)) };
    expect(codes(tampered)).toContain('digest_mismatch');
    expect(verifyDraw(tampered).valid).toBe(false);
  });

  test('one entry removed fails on the digest', () => {
    const loser = good.entries.find((e) => !good.winners.some((w) => w.ref === e.ref))!;
    const tampered = { ...good, entries: good.entries.filter((e) => e !== loser) };
    expect(codes(tampered)).toContain('digest_mismatch');
  });

  test('a seed that does not match the commitment fails', () => {
    const other = publish(seedFor('other'), 'drw_verify', entries, 5);
    const tampered = { ...good, seedHex: other.seedHex };
    expect(codes(tampered)).toContain('commitment_mismatch');
    // and even with the winners of the other seed, the commitment still gives it away
    expect(codes({ ...tampered, winners: other.winners })).toEqual(['commitment_mismatch']);
  });

  test('swapped, missing or extra winners fail', () => {
    const [w1, w2, ...rest] = good.winners;
    expect(codes({ ...good, winners: [{ ...w2, rank: 1 }, { ...w1, rank: 2 }, ...rest] })).toContain('winners_mismatch');
    expect(codes({ ...good, winners: good.winners.slice(0, 4) })).toContain('winners_mismatch');
    const outsider = good.entries.find((e) => !good.winners.some((w) => w.ref === e.ref))!;
    expect(codes({ ...good, winners: [...good.winners.slice(0, 4), { rank: 5, ref: outsider.ref }] })).toContain('winners_mismatch');
    expect(codes({ ...good, winnerCount: undefined, winners: [...good.winners, { rank: 6, ref: outsider.ref }] })).toContain('winners_mismatch');
  });

  test('malformed documents are reported, not thrown', () => {
    expect(codes(null)).toContain('invalid_document');
    expect(codes({ ...good, format: 'vafa-draw/2' })).toEqual(['unsupported_format']);
    expect(codes({ ...good, seedHex: 'nope' })).toContain('invalid_seed');
    expect(codes({ ...good, commitment: 42 })).toEqual(['invalid_commitment']);
    expect(codes({ ...good, entries: 'x' })).toContain('invalid_entries');
    expect(codes({ ...good, entries: [...good.entries, good.entries[0]] })).toContain('duplicate_ref');
    expect(codes({ ...good, winners: null })).toEqual(['invalid_winners']);
    expect(codes({ ...good, winnerCount: -2 })).toContain('invalid_winner_count');
    expect(codes({ ...good, totalChances: 1 })).toEqual(['total_chances_mismatch']);
    expect(codes({ ...good, drawId: 'drw 1' })).toContain('invalid_draw_id');
  });
});

describe('properties', () => {
  // Characters that exercise UTF-8 vs UTF-16 order: ASCII, Persian, U+FB50–U+FFFD, astral.
  const refArb = fc.string({ unit: fc.constantFrom('0', '9', '*', '#', 'a', 'B', 'ی', '۴', '\uFB50', '\uFFFD', '😀', '\u{1D11E}'), minLength: 1, maxLength: 6 });
  const entriesArb = fc.uniqueArray(fc.record({ ref: refArb, chances: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: MAX_CHANCES })) }), {
    selector: (e) => e.ref,
    maxLength: 40,
  });
  const seedArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
  const drawIdArb = fc.stringMatching(/^[a-z0-9_:]{1,20}$/);

  test('winners are distinct, from the list, min(N, entries) of them, and match the reference', () => {
    fc.assert(
      fc.property(entriesArb, fc.integer({ min: 0, max: 50 }), seedArb, drawIdArb, (entries, wanted, seedHex, drawId) => {
        const { winners, totalChances } = drawWinners({ seedHex, drawId, entries, winners: wanted });
        const refs = new Set(entries.map((e) => e.ref));
        expect(winners).toHaveLength(Math.min(wanted, entries.length));
        expect(new Set(winners.map((w) => w.ref)).size).toBe(winners.length);
        for (const w of winners) expect(refs.has(w.ref)).toBe(true);
        expect(winners.map((w) => w.rank)).toEqual(winners.map((_, i) => i + 1));
        expect(totalChances).toBe(entries.reduce((s, e) => s + e.chances, 0));
        expect(winners.map(({ rank, ref }) => ({ rank, ref }))).toEqual(referenceDraw(seedHex, drawId, entries, wanted));
      }),
      { numRuns: 300 },
    );
  });

  test('canonical order is UTF-8 byte order and independent of input order', () => {
    fc.assert(
      fc.property(entriesArb, fc.integer(), (entries, shuffleSeed) => {
        const canonical = canonicalEntries(shuffled(entries, shuffleSeed));
        const bytewise = entries.slice().sort((a, b) => Buffer.compare(Buffer.from(a.ref), Buffer.from(b.ref)));
        expect(canonical).toEqual(bytewise);
        expect(entriesDigest(entries)).toBe(sha256(bytewise.map((e) => `${e.ref}\t${e.chances}\n`).join('')));
      }),
      { numRuns: 300 },
    );
  });

  test('an honest publication always verifies', () => {
    fc.assert(
      fc.property(entriesArb, fc.integer({ min: 0, max: 10 }), seedArb, drawIdArb, (entries, wanted, seedHex, drawId) => {
        expect(verifyDraw(JSON.parse(JSON.stringify(publish(seedHex, drawId, entries, wanted))) as PublishedDraw).problems).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('performance', () => {
  test('1,000,000 entries, 10 winners (logs the time, asserts none)', () => {
    // Through JSON, as a snapshot or a published document arrives (flat strings, canonical order).
    const ordered = JSON.parse(JSON.stringify(canonicalEntries(crowd(1_000_000)))) as DrawEntry[];
    const mixed = shuffled(ordered, 7);
    const seedHex = seedFor('perf');
    const time = (entries: DrawEntry[]) => {
      const start = performance.now();
      const result = drawWinners({ seedHex, drawId: 'drw_perf', entries, winners: 10 });
      return { ms: performance.now() - start, result };
    };
    const runs = [time(ordered), time(ordered), time(ordered)];
    const median = runs.map((r) => r.ms).sort((a, b) => a - b)[1];
    const mixedRun = time(mixed);
    const published = publish(seedHex, 'drw_perf', ordered, 10);
    const verifyStart = performance.now();
    const verification = verifyDraw(published);
    const verifyMs = performance.now() - verifyStart;
    console.log(
      `1,000,000 entries, 10 winners: drawWinners ${median.toFixed(0)} ms (median of 3; runs ${runs.map((r) => r.ms.toFixed(0)).join(', ')}) ` +
        `with the list in canonical order, ${mixedRun.ms.toFixed(0)} ms shuffled (sort included); verifyDraw ${verifyMs.toFixed(0)} ms`,
    );
    expect(mixedRun.result).toEqual(runs[0].result);
    expect(runs[0].result.winners).toHaveLength(10);
    expect(verification.valid).toBe(true);
  });
});
