/**
 * Verifiable draws (قرعه‌کشی). A draw commits to the SHA-256 of a secret seed before entries
 * close, reveals the seed afterwards, and anyone can recompute the winners from the seed and
 * the published entry list. docs/draws.md is the specification; this file implements it and
 * must not drift from it (draw.test.ts checks the worked example in the doc).
 *
 * Pure domain code: no I/O, no clock, no environment. Randomness comes in as an argument.
 * Bad input (duplicate refs, zero chances, a malformed seed…) is a bug in the caller, so
 * drawWinners/canonicalEntries throw DrawInputError; verifyDraw, which reads documents from
 * outside, never throws on bad data and reports problems instead.
 */
import { createHash, createHmac } from 'node:crypto';

/** Value of the `format` field of a published draw document. */
export const DRAW_FORMAT = 'vafa-draw/1';
export const SEED_BYTES = 32;
/** Largest number of chances one entry may hold (2^31). */
export const MAX_CHANCES = 2 ** 31;

export type DrawEntry = { ref: string; chances: number };
export type DrawWinner = { rank: number; ref: string; chances: number };
export type DrawResult = { winners: DrawWinner[]; totalChances: number; digest: string };

export type DrawInputProblem =
  | 'invalid_seed'
  | 'invalid_draw_id'
  | 'invalid_winner_count'
  | 'invalid_rank'
  | 'invalid_bound'
  | 'invalid_entries'
  | 'invalid_ref'
  | 'invalid_chances'
  | 'duplicate_ref'
  | 'total_chances_too_large';

export class DrawInputError extends Error {
  constructor(
    readonly code: DrawInputProblem,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'DrawInputError';
  }
}

// ---------------------------------------------------------------------------------------------
// Seed and commitment

/** A fresh seed: 32 random bytes as 64 lowercase hex digits. */
export function newSeed(randomBytes: (n: number) => Buffer): string {
  const bytes = randomBytes(SEED_BYTES);
  if (!Buffer.isBuffer(bytes) || bytes.length !== SEED_BYTES) {
    throw new DrawInputError('invalid_seed', `randomBytes(${SEED_BYTES}) returned ${bytes?.length} bytes`);
  }
  return bytes.toString('hex');
}

const SEED_RE = /^[0-9a-fA-F]{64}$/;

function seedBytes(seedHex: string): Buffer {
  if (typeof seedHex !== 'string' || !SEED_RE.test(seedHex)) {
    throw new DrawInputError('invalid_seed', 'a seed is 64 hex digits (32 bytes)');
  }
  return Buffer.from(seedHex, 'hex');
}

/** SHA-256 of the 32 raw seed bytes (not of the hex text), as lowercase hex. */
export function commitment(seedHex: string): string {
  return createHash('sha256').update(seedBytes(seedHex)).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Canonical entry list and digest

/** Printable ASCII without spaces: the id goes into the HMAC message, which must be unambiguous in any language. */
const DRAW_ID_RE = /^[\x21-\x7e]{1,128}$/;

function checkDrawId(drawId: string): void {
  if (typeof drawId !== 'string' || !DRAW_ID_RE.test(drawId)) {
    throw new DrawInputError('invalid_draw_id', 'a draw id is 1–128 printable ASCII characters without spaces');
  }
}

// Fast screen: control characters or any surrogate code unit. Only refs that match are looked at closely.
const SCREEN_RE = /[\u0000-\u001f\u007f\ud800-\udfff]/;
const CONTROL_RE = /[\u0000-\u001f\u007f]/;
// With the u flag a lone surrogate is its own code point of category Cs; a valid pair is not.
const LONE_SURROGATE_RE = /\p{Cs}/u;

/** Returns true when the ref holds a character outside the Basic Multilingual Plane. */
function checkRef(ref: unknown, index: number): boolean {
  if (typeof ref !== 'string' || ref.length === 0) {
    throw new DrawInputError('invalid_ref', `entry ${index}: ref must be a non-empty string`);
  }
  if (!SCREEN_RE.test(ref)) return false;
  if (CONTROL_RE.test(ref)) {
    throw new DrawInputError('invalid_ref', `entry ${index}: ref ${JSON.stringify(ref)} contains a control character`);
  }
  if (LONE_SURROGATE_RE.test(ref)) {
    throw new DrawInputError('invalid_ref', `entry ${index}: ref is not well-formed Unicode (lone surrogate)`);
  }
  return true;
}

function checkChances(chances: unknown, index: number): asserts chances is number {
  if (typeof chances !== 'number' || !Number.isInteger(chances) || chances < 1 || chances > MAX_CHANCES) {
    throw new DrawInputError('invalid_chances', `entry ${index}: chances must be an integer from 1 to 2^31, got ${String(chances)}`);
  }
}

/**
 * Order of UTF-16 strings that equals the order of their UTF-8 bytes (= code point order).
 * Plain `<` compares UTF-16 code units, which differs only when a surrogate meets a character
 * in U+E000–U+FFFF; the fix-up moves surrogates above that range (ICU's trick).
 */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

/** Without characters outside the BMP, UTF-16 order is already UTF-8 byte order. */
function compareUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

type Prepared = { sorted: readonly DrawEntry[]; totalChances: number; digest: string };

/**
 * Validates, puts in canonical order and digests. When the caller already supplies canonical
 * order (a snapshot read with ORDER BY ref COLLATE "C", a published document) the order is
 * only checked, O(n), and the caller's array is used as it is: sorting a million refs costs
 * seconds, the rest of a draw a fraction of one.
 */
function prepare(entries: readonly DrawEntry[]): Prepared {
  if (!Array.isArray(entries)) throw new DrawInputError('invalid_entries', 'entries must be an array');
  const n = entries.length;
  let astral = false;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const e = entries[i];
    if (typeof e !== 'object' || e === null) throw new DrawInputError('invalid_entries', `entry ${i} is not an object`);
    if (checkRef(e.ref, i)) astral = true;
    checkChances(e.chances, i);
    total += e.chances;
  }
  if (total > Number.MAX_SAFE_INTEGER) {
    throw new DrawInputError('total_chances_too_large', 'the chances add up to more than 2^53 − 1');
  }
  const cmp = astral ? compareCodePoints : compareUnits;

  let inOrder = true;
  for (let i = 1; i < n; i++) {
    if (cmp(entries[i - 1].ref, entries[i].ref) >= 0) {
      inOrder = false;
      break;
    }
  }
  let sorted: readonly DrawEntry[] = entries;
  if (!inOrder) {
    sorted = entries.slice().sort((a, b) => cmp(a.ref, b.ref));
    for (let i = 1; i < n; i++) {
      if (sorted[i - 1].ref === sorted[i].ref) {
        throw new DrawInputError('duplicate_ref', `ref ${JSON.stringify(sorted[i].ref)} appears more than once`);
      }
    }
  }
  return { sorted, totalChances: total, digest: digestSorted(sorted) };
}

/** SHA-256 over `ref TAB chances LF` per entry, UTF-8, in canonical order. Hashed in chunks to bound memory. */
function digestSorted(sorted: readonly DrawEntry[]): string {
  const hash = createHash('sha256');
  let chunk = '';
  for (let i = 0; i < sorted.length; i++) {
    chunk += sorted[i].ref + '\t' + sorted[i].chances + '\n';
    if (chunk.length > 65_536) {
      hash.update(chunk, 'utf8');
      chunk = '';
    }
  }
  hash.update(chunk, 'utf8');
  return hash.digest('hex');
}

/** The entries in canonical order: ascending by the UTF-8 bytes of `ref`. Rejects bad or duplicate entries. */
export function canonicalEntries(entries: readonly DrawEntry[]): DrawEntry[] {
  return prepare(entries).sorted.map((e) => ({ ref: e.ref, chances: e.chances }));
}

/** SHA-256 (lowercase hex) of the canonical serialisation: per entry `ref\tchances\n`, UTF-8, canonical order. */
export function entriesDigest(entries: readonly DrawEntry[]): string {
  return prepare(entries).digest;
}

// ---------------------------------------------------------------------------------------------
// Drawing

const TWO_64 = 1n << 64n;

/**
 * The uniform integer in [0, bound) for one rank: HMAC-SHA256(key = seed bytes,
 * message = `${drawId}:${rank}:${attempt}`), first 8 bytes as an unsigned big-endian 64-bit
 * integer r; accept when r < 2^64 − (2^64 mod bound) and return r mod bound, else try the next
 * attempt. Exported for tests and for the worked example in docs/draws.md.
 */
export function drawNumber(seedHex: string, drawId: string, rank: number, bound: bigint): { value: bigint; attempts: number } {
  const key = seedBytes(seedHex);
  checkDrawId(drawId);
  if (!Number.isSafeInteger(rank) || rank < 1) throw new DrawInputError('invalid_rank', 'ranks are integers from 1');
  if (typeof bound !== 'bigint' || bound < 1n || bound > TWO_64) throw new DrawInputError('invalid_bound', 'bound must be in [1, 2^64]');
  return uniformBelow(key, drawId, rank, bound);
}

function uniformBelow(key: Buffer, drawId: string, rank: number, bound: bigint): { value: bigint; attempts: number } {
  const limit = TWO_64 - (TWO_64 % bound);
  // Each attempt is rejected with probability below bound / 2^64 (≤ 2^-11 here), so this ends.
  for (let attempt = 0; ; attempt++) {
    const mac = createHmac('sha256', key).update(`${drawId}:${rank}:${attempt}`, 'utf8').digest();
    const r = mac.readBigUInt64BE(0);
    if (r < limit) return { value: r % bound, attempts: attempt + 1 };
  }
}

/**
 * Fenwick (binary indexed) tree over the chances in canonical order: O(n) to build, O(log n) to
 * find the entry whose cumulative interval holds a number and to remove a winner. Sums stay
 * exact in a Float64Array because the total is at most 2^53 − 1.
 */
class ChanceTree {
  private readonly tree: Float64Array;
  private readonly topStep: number;

  constructor(sorted: readonly DrawEntry[]) {
    const n = sorted.length;
    const tree = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) tree[i + 1] = sorted[i].chances;
    for (let i = 1; i <= n; i++) {
      const parent = i + (i & -i);
      if (parent <= n) tree[parent] += tree[i];
    }
    let step = 1;
    while (step * 2 <= n) step *= 2;
    this.tree = tree;
    this.topStep = step;
  }

  /** 0-based index of the entry i with prefix(i) ≤ u < prefix(i) + chances(i), counting only remaining entries. */
  find(u: number): number {
    const { tree } = this;
    const n = tree.length - 1;
    let pos = 0;
    let rest = u;
    for (let step = this.topStep; step >= 1; step /= 2) {
      const next = pos + step;
      if (next <= n && tree[next] <= rest) {
        pos = next;
        rest -= tree[next];
      }
    }
    return pos;
  }

  remove(index: number, chances: number): void {
    const { tree } = this;
    for (let i = index + 1; i < tree.length; i += i & -i) tree[i] -= chances;
  }
}

/**
 * Weighted draw without replacement. For rank k = 1..min(winners, entries): a uniform number
 * u in [0, remaining chances) from drawNumber, then the entry whose interval (canonical order,
 * earlier winners removed) holds u wins and is removed.
 *
 * Entries may come in any order, but pass them in canonical order when the list is large
 * (ORDER BY ref COLLATE "C", or canonicalEntries once): the order is then only checked,
 * O(n), instead of sorted, which costs seconds per million entries.
 */
export function drawWinners(input: { seedHex: string; entries: readonly DrawEntry[]; winners: number; drawId: string }): DrawResult {
  const key = seedBytes(input.seedHex);
  checkDrawId(input.drawId);
  if (!Number.isSafeInteger(input.winners) || input.winners < 0) {
    throw new DrawInputError('invalid_winner_count', 'winners must be a non-negative integer');
  }
  return drawPrepared(key, input.drawId, prepare(input.entries), input.winners);
}

function drawPrepared(key: Buffer, drawId: string, prepared: Prepared, wanted: number): DrawResult {
  const { sorted, totalChances, digest } = prepared;
  const count = Math.min(wanted, sorted.length);
  const winners: DrawWinner[] = [];
  if (count === 0) return { winners, totalChances, digest };

  const tree = new ChanceTree(sorted);
  let remaining = totalChances;
  for (let rank = 1; rank <= count; rank++) {
    const u = Number(uniformBelow(key, drawId, rank, BigInt(remaining)).value);
    const index = tree.find(u);
    const winner = sorted[index];
    winners.push({ rank, ref: winner.ref, chances: winner.chances });
    tree.remove(index, winner.chances);
    remaining -= winner.chances;
  }
  return { winners, totalChances, digest };
}

// ---------------------------------------------------------------------------------------------
// Verification

/** The published draw document (docs/draws.md, "The published document"). */
export type PublishedDraw = {
  format?: string;
  drawId: string;
  commitment: string;
  seedHex: string;
  entries: DrawEntry[];
  entriesDigest: string;
  totalChances?: number;
  /** How many winners were asked for; when absent, the length of `winners`. */
  winnerCount?: number;
  winners: { rank: number; ref: string; chances?: number }[];
};

export type DrawVerification = {
  valid: boolean;
  /** One line per problem, each starting with a stable code: `commitment_mismatch: …`. */
  problems: string[];
  recomputed: {
    commitment: string | null;
    entriesDigest: string | null;
    totalChances: number | null;
    winners: DrawWinner[] | null;
  };
};

const HEX64_RE = /^[0-9a-fA-F]{64}$/;
const MAX_LISTED_MISMATCHES = 10;

/**
 * Recomputes a published draw: the seed against the commitment, the entry list against its
 * digest, the winners against the seed and the list. Takes the parsed JSON as it comes and
 * never throws on malformed content.
 */
export function verifyDraw(published: PublishedDraw): DrawVerification {
  const problems: string[] = [];
  const recomputed: DrawVerification['recomputed'] = { commitment: null, entriesDigest: null, totalChances: null, winners: null };
  const doc = (typeof published === 'object' && published !== null ? published : {}) as Partial<Record<keyof PublishedDraw, unknown>>;
  if (doc !== published) problems.push('invalid_document: the document is not a JSON object');

  if (doc.format !== undefined && doc.format !== DRAW_FORMAT) {
    problems.push(`unsupported_format: format is ${JSON.stringify(doc.format)}, this verifier reads ${DRAW_FORMAT}`);
  }

  let drawIdOk = false;
  try {
    checkDrawId(doc.drawId as string);
    drawIdOk = true;
  } catch (err) {
    problems.push(problemOf(err));
  }

  let seedOk = false;
  try {
    recomputed.commitment = commitment(doc.seedHex as string);
    seedOk = true;
  } catch (err) {
    problems.push(problemOf(err));
  }
  if (typeof doc.commitment !== 'string' || !HEX64_RE.test(doc.commitment)) {
    problems.push('invalid_commitment: commitment must be 64 hex digits');
  } else if (recomputed.commitment !== null && recomputed.commitment !== doc.commitment.toLowerCase()) {
    problems.push(`commitment_mismatch: SHA-256 of the seed is ${recomputed.commitment}, the published commitment is ${doc.commitment}`);
  }

  let prepared: Prepared | null = null;
  try {
    prepared = prepare(doc.entries as DrawEntry[]);
    recomputed.entriesDigest = prepared.digest;
    recomputed.totalChances = prepared.totalChances;
  } catch (err) {
    problems.push(problemOf(err));
  }
  if (typeof doc.entriesDigest !== 'string' || !HEX64_RE.test(doc.entriesDigest)) {
    problems.push('invalid_entries_digest: entriesDigest must be 64 hex digits');
  } else if (prepared && prepared.digest !== doc.entriesDigest.toLowerCase()) {
    problems.push(`digest_mismatch: the entry list hashes to ${prepared.digest}, the published entriesDigest is ${doc.entriesDigest}`);
  }
  if (doc.totalChances !== undefined && prepared && doc.totalChances !== prepared.totalChances) {
    problems.push(`total_chances_mismatch: the entries hold ${prepared.totalChances} chances, the document says ${String(doc.totalChances)}`);
  }

  const listed = parseWinners(doc.winners, problems);
  let wanted: number | null = listed ? listed.length : null;
  if (doc.winnerCount !== undefined) {
    if (typeof doc.winnerCount === 'number' && Number.isSafeInteger(doc.winnerCount) && doc.winnerCount >= 0) {
      wanted = doc.winnerCount;
    } else {
      problems.push('invalid_winner_count: winnerCount must be a non-negative integer');
      wanted = null;
    }
  }

  if (seedOk && drawIdOk && prepared && wanted !== null) {
    const result = drawPrepared(seedBytes(doc.seedHex as string), doc.drawId as string, prepared, wanted);
    recomputed.winners = result.winners;
    if (listed) compareWinners(listed, result.winners, problems);
  }
  return { valid: problems.length === 0, problems, recomputed };
}

type ListedWinner = { rank: unknown; ref: unknown; chances?: unknown };

function parseWinners(winners: unknown, problems: string[]): ListedWinner[] | null {
  if (!Array.isArray(winners)) {
    problems.push('invalid_winners: winners must be an array');
    return null;
  }
  for (let i = 0; i < winners.length; i++) {
    if (typeof winners[i] !== 'object' || winners[i] === null) {
      problems.push(`invalid_winners: winner ${i} is not an object`);
      return null;
    }
  }
  return winners as ListedWinner[];
}

function compareWinners(listed: ListedWinner[], drawn: DrawWinner[], problems: string[]): void {
  if (listed.length !== drawn.length) {
    problems.push(`winners_mismatch: the document lists ${listed.length} winners, the draw gives ${drawn.length}`);
  }
  let mismatches = 0;
  const n = Math.min(listed.length, drawn.length);
  for (let i = 0; i < n; i++) {
    const want = drawn[i];
    const got = listed[i];
    const chancesDiffer = got.chances !== undefined && got.chances !== want.chances;
    if (got.rank !== want.rank || got.ref !== want.ref || chancesDiffer) {
      mismatches++;
      if (mismatches <= MAX_LISTED_MISMATCHES) {
        problems.push(
          `winners_mismatch: position ${i + 1} lists rank ${String(got.rank)} ${JSON.stringify(got.ref)}` +
            `${got.chances !== undefined ? ` (${String(got.chances)} chances)` : ''}, ` +
            `the draw gives rank ${want.rank} ${JSON.stringify(want.ref)} (${want.chances} chances)`,
        );
      }
    }
  }
  if (mismatches > MAX_LISTED_MISMATCHES) {
    problems.push(`winners_mismatch: ${mismatches - MAX_LISTED_MISMATCHES} more positions differ`);
  }
}

function problemOf(err: unknown): string {
  if (err instanceof DrawInputError) return err.message;
  throw err;
}
