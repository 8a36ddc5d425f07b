/**
 * Checks a published draw in the browser (docs/draws.md, the same steps as
 * `vafa draw verify draw.json`): the seed matches the commitment, the entry list matches its
 * digest, and the winners are exactly what the seed and the list give. Web Crypto only
 * (SHA-256, HMAC-SHA256): it needs a secure context (https or localhost).
 */

export type DrawDocument = {
  drawId: string;
  commitment: string;
  seedHex?: string;
  entries?: { ref: string; chances: number }[];
  entriesDigest?: string | null;
  totalChances?: number;
  winnerCount?: number;
  winners?: { rank: number; ref: string }[];
};

export type CheckResult = {
  commitment: boolean | null;
  digest: boolean | null;
  winners: boolean | null;
  total: boolean | null;
  recomputed: { commitment: string | null; digest: string | null; winners: { rank: number; ref: string }[] | null };
};

export function canVerifyHere(): boolean {
  return typeof globalThis.crypto !== 'undefined' && typeof globalThis.crypto.subtle !== 'undefined';
}

const hex = (buf: ArrayBuffer | Uint8Array) => Array.from(buf instanceof Uint8Array ? buf : new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

function fromHex(s: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[0-9a-fA-F]*$/.test(s) || s.length % 2) return null;
  const out = new Uint8Array(new ArrayBuffer(s.length / 2));
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** UTF-8 byte order of strings = code point order (not JavaScript's UTF-16 `<`). */
export function compareRefs(a: string, b: string): number {
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

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', bytes));
}

export async function entriesDigest(entries: readonly { ref: string; chances: number }[]): Promise<string> {
  const sorted = [...entries].sort((a, b) => compareRefs(a.ref, b.ref));
  const text = sorted.map((e) => `${e.ref}\t${e.chances}\n`).join('');
  return sha256(new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>);
}

const TWO_64 = 1n << 64n;

/** Weighted draw without replacement, as specified in docs/draws.md §5–7. */
export async function drawWinners(seed: Uint8Array<ArrayBuffer>, drawId: string, entries: readonly { ref: string; chances: number }[], wanted: number): Promise<{ rank: number; ref: string }[]> {
  const key = await crypto.subtle.importKey('raw', seed, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const remaining = [...entries].sort((a, b) => compareRefs(a.ref, b.ref));
  const out: { rank: number; ref: string }[] = [];
  const count = Math.min(wanted, remaining.length);
  for (let rank = 1; rank <= count; rank++) {
    const total = BigInt(remaining.reduce((s, e) => s + e.chances, 0));
    const limit = TWO_64 - (TWO_64 % total);
    let r = 0n;
    for (let attempt = 0; ; attempt++) {
      const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${drawId}:${rank}:${attempt}`)));
      r = BigInt(`0x${hex(mac.slice(0, 8))}`);
      if (r < limit) break;
    }
    let u = Number(r % total);
    let i = 0;
    for (; i < remaining.length; i++) {
      if (u < remaining[i]!.chances) break;
      u -= remaining[i]!.chances;
    }
    out.push({ rank, ref: remaining[i]!.ref });
    remaining.splice(i, 1);
  }
  return out;
}

/** Runs every check the document allows at its stage (before the draw: digest only). */
export async function checkDraw(doc: DrawDocument): Promise<CheckResult> {
  const res: CheckResult = { commitment: null, digest: null, winners: null, total: null, recomputed: { commitment: null, digest: null, winners: null } };
  const seed = doc.seedHex ? fromHex(doc.seedHex) : null;
  if (seed && seed.length === 32) {
    res.recomputed.commitment = await sha256(seed);
    res.commitment = res.recomputed.commitment === doc.commitment.toLowerCase();
  } else if (doc.seedHex !== undefined) {
    res.commitment = false;
  }
  if (doc.entries) {
    res.recomputed.digest = await entriesDigest(doc.entries);
    res.digest = doc.entriesDigest ? res.recomputed.digest === doc.entriesDigest.toLowerCase() : false;
    if (doc.totalChances !== undefined) res.total = doc.entries.reduce((s, e) => s + e.chances, 0) === doc.totalChances;
    if (seed && seed.length === 32 && doc.winners) {
      const wanted = doc.winnerCount ?? doc.winners.length;
      const winners = await drawWinners(seed, doc.drawId, doc.entries, wanted);
      res.recomputed.winners = winners;
      res.winners = winners.length === doc.winners.length && winners.every((w, i) => w.rank === doc.winners![i]!.rank && w.ref === doc.winners![i]!.ref);
    }
  }
  return res;
}
