/**
 * Secrets: personal data encrypted at rest (AES-256-GCM), blind indexes for look-ups
 * (HMAC-SHA256), token hashing. Keys derive from VAFA_SECRET; nothing here reads env.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Secrets {
  encrypt(plain: string): string;
  decrypt(box: string): string;
  /** Deterministic keyed hash, for finding a member by an encrypted field. */
  blindIndex(kind: string, value: string): string;
  /** HMAC-SHA256 signature for webhooks and published proofs. */
  sign(data: string): string;
}

export function makeSecrets(secret: string): Secrets {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), info, 32));
  const encKey = derive('vafa/pii-encryption');
  const idxKey = derive('vafa/blind-index');
  const sigKey = derive('vafa/signing');
  return {
    encrypt(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', encKey, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return `v1.${Buffer.concat([iv, c.getAuthTag(), body]).toString('base64url')}`;
    },
    decrypt(box) {
      const raw = Buffer.from(box.slice(3), 'base64url');
      const d = createDecipheriv('aes-256-gcm', encKey, raw.subarray(0, 12));
      d.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
    },
    blindIndex: (kind, value) => createHmac('sha256', idxKey).update(`${kind}:${value}`).digest('base64url'),
    sign: (data) => createHmac('sha256', sigKey).update(data).digest('hex'),
  };
}

export const sha256 = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');
export const safeEqual = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** Stable hash of a JSON value (key order independent), for idempotency bodies. */
export function hashJson(value: unknown): string {
  return sha256(stableStringify(value));
}
export function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`).join(',')}}`;
}
