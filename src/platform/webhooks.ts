/**
 * Signed webhooks, sent through the outbox. A use case enqueues a delivery in its own
 * transaction (`enqueueWebhook`); the worker's outbox dispatch hands it to
 * `WebhookSender.handle`, which POSTs the JSON body signed with the club's secret for that
 * endpoint:
 *
 *   x-vafa-timestamp: <unix seconds>
 *   x-vafa-signature: v1=<hex HMAC-SHA256(secret, `${timestamp}.${body}`)>
 *   x-vafa-delivery:  <delivery id, the same on every retry: receivers dedupe on it>
 *
 * A non-2xx answer, a timeout or a network error throws, so the outbox retries it with
 * exponential backoff; after `maxAttempts` the delivery is given up. Either final outcome
 * (delivered / given up) is reported once per delivery to the callback registered under the
 * delivery's `callback` name — this file knows no module: modules register callbacks.
 * Delivery is at least once (a crash between the POST and the outbox's bookkeeping sends
 * again), so callbacks must be idempotent.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Db, Executor } from './db.js';
import type { Clock } from './clock.js';
import type { Secrets } from './crypto.js';
import { newId } from './ids.js';
import { enqueue, type ClaimedMessage } from './outbox.js';

export const WEBHOOK_TOPIC = 'webhook.send';
export const DEFAULT_MAX_ATTEMPTS = 8;

export interface WebhookDelivery {
  /** Which of the club's endpoints: e.g. 'rewards.fulfilment'. */
  purpose: string;
  /** The event name sent to the receiver, e.g. 'reward.fulfilment_requested'. */
  event: string;
  data: Record<string, unknown>;
  maxAttempts?: number;
  /** Name of the callback told the final outcome, and what it needs to act on it. */
  callback?: string;
  context?: Record<string, unknown>;
}

export interface WebhookOutcome {
  clubId: string;
  deliveryId: string;
  delivered: boolean;
  attempts: number;
  status: number | null;
  error: string | null;
  context: Record<string, unknown>;
}

export type WebhookCallback = (outcome: WebhookOutcome) => Promise<void>;

/** HMAC-SHA256 over `${timestamp}.${body}`, hex. Receivers recompute it with their copy. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** For receivers (and tests): checks the signature and that the timestamp is recent. */
export function verifyWebhook(secret: string, headers: Record<string, string | string[] | undefined>, body: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const ts = Number(headers['x-vafa-timestamp']);
  const sig = String(headers['x-vafa-signature'] ?? '').replace(/^v1=/, '');
  if (!Number.isFinite(ts) || Math.abs(nowSeconds - ts) > toleranceSeconds) return false;
  return sig.length === 64 && sig === signWebhook(secret, ts, body);
}

/** Enqueues a delivery in the caller's transaction. Returns the delivery id. */
export async function enqueueWebhook(tx: Executor, clubId: string, d: WebhookDelivery, availableAt?: Date): Promise<string> {
  const deliveryId = newId('whk');
  await enqueue(tx, [{
    clubId,
    topic: WEBHOOK_TOPIC,
    payload: { deliveryId, purpose: d.purpose, event: d.event, data: d.data, maxAttempts: d.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, callback: d.callback ?? null, context: d.context ?? {} },
    ...(availableAt ? { availableAt } : {}),
  }]);
  return deliveryId;
}

/** Sets (or replaces) the club's endpoint for a purpose. A new secret is returned once. */
export async function setWebhookEndpoint(db: Executor, secrets: Secrets, clubId: string, purpose: string, url: string, rotate = false): Promise<{ url: string; secret: string | null }> {
  const existing = await db.selectFrom('webhook_endpoints').select(['secret_enc']).where('club_id', '=', clubId).where('purpose', '=', purpose).executeTakeFirst();
  if (existing && !rotate) {
    await db.updateTable('webhook_endpoints').set({ url, updated_at: new Date() }).where('club_id', '=', clubId).where('purpose', '=', purpose).execute();
    return { url, secret: null };
  }
  const secret = `whsec_${randomBytes(24).toString('base64url')}`;
  await db
    .insertInto('webhook_endpoints')
    .values({ club_id: clubId, purpose, url, secret_enc: secrets.encrypt(secret) })
    .onConflict((oc) => oc.columns(['club_id', 'purpose']).doUpdateSet({ url, secret_enc: secrets.encrypt(secret), updated_at: new Date() }))
    .execute();
  return { url, secret };
}

export async function getWebhookEndpoint(db: Executor, clubId: string, purpose: string): Promise<{ url: string } | null> {
  const r = await db.selectFrom('webhook_endpoints').select(['url']).where('club_id', '=', clubId).where('purpose', '=', purpose).executeTakeFirst();
  return r ? { url: r.url as string } : null;
}

export class WebhookSender {
  private readonly callbacks = new Map<string, WebhookCallback>();

  constructor(
    private readonly db: Db,
    private readonly secrets: Secrets,
    private readonly clock: Clock,
    private readonly opts: { timeoutMs?: number; fetch?: typeof fetch } = {},
  ) {}

  /** A module registers what happens when its deliveries finally succeed or are given up. */
  on(name: string, cb: WebhookCallback): void {
    this.callbacks.set(name, cb);
  }

  /**
   * Outbox handler. Returns false for messages that are not webhook deliveries (so the
   * worker can pass them on). Throws to have the outbox retry with backoff.
   */
  async handle(m: ClaimedMessage): Promise<boolean> {
    if (m.topic !== WEBHOOK_TOPIC) return false;
    const p = m.payload as { deliveryId: string; purpose: string; event: string; data: unknown; maxAttempts: number; callback: string | null; context: Record<string, unknown> };
    const finish = async (delivered: boolean, status: number | null, error: string | null) => {
      const cb = p.callback ? this.callbacks.get(p.callback) : undefined;
      if (p.callback && !cb) throw new Error(`no webhook callback "${p.callback}" registered`);
      await cb?.({ clubId: m.clubId, deliveryId: p.deliveryId, delivered, attempts: m.attempts, status, error, context: p.context ?? {} });
    };
    const row = await this.db.selectFrom('webhook_endpoints').select(['url', 'secret_enc']).where('club_id', '=', m.clubId).where('purpose', '=', p.purpose).executeTakeFirst();
    if (!row) {
      await finish(false, null, `no webhook endpoint for ${p.purpose}`);
      return true;
    }
    const now = this.clock.now();
    const timestamp = Math.floor(now.getTime() / 1000);
    const body = JSON.stringify({ id: p.deliveryId, event: p.event, clubId: m.clubId, data: p.data });
    const secret = this.secrets.decrypt(row.secret_enc as string);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await (this.opts.fetch ?? fetch)(row.url as string, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'vafa-webhooks/1',
          'x-vafa-event': p.event,
          'x-vafa-delivery': p.deliveryId,
          'x-vafa-attempt': String(m.attempts),
          'x-vafa-timestamp': String(timestamp),
          'x-vafa-signature': `v1=${signWebhook(secret, timestamp, body)}`,
        },
        body,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) error = `HTTP ${res.status}`;
    } catch (e) {
      error = (e as Error).message ?? String(e);
    }
    // The callback runs outside the try: a failing callback must not count as a failed POST.
    if (error === null) {
      await finish(true, status, null);
      return true;
    }
    if (m.attempts >= p.maxAttempts) {
      await finish(false, status, error);
      return true;
    }
    throw new Error(`webhook ${p.event} attempt ${m.attempts}/${p.maxAttempts}: ${error}`);
  }
}
