/**
 * The outbox worker by batches: one claim, one member look-up (Notifier.handleMany) and ONE
 * `update outbox set dispatched_at … where id = any(…)` per batch; a failing message is
 * retried with backoff while the others are delivered once; a crash between the handlers
 * and the mark re-delivers (at least once) after the lease, never before; the loop paces
 * itself (pauses ∝ the batch's work, smaller batches while ingestion is busy).
 *
 * Each engine gets a database of its own (PGlite: this file's; PostgreSQL: one created here
 * and dropped at the end): a dispatch claims every due row of its database, so sharing the
 * run's database would steal (or be stolen) other suites' messages.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import pg from 'pg';
import { sql, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RootOperationNode, type UnknownRow } from 'kysely';
import { describeEngines, ManualClock, openEngine, pgUrl, silentLogger, type Engine } from '../engines.js';
import { mobile } from '../fixtures.js';
import { openPostgres, type Database, type Db } from '../../src/platform/db.js';
import { migrate } from '../../src/platform/migrate.js';
import { makeSecrets } from '../../src/platform/crypto.js';
import { LogSmsChannel, type SmsChannel, type SmsKind } from '../../src/platform/sms.js';
import { buildApp, buildServices, type Services } from '../../src/app.js';
import { dispatchBatch, dispatchDue, enqueue, type BatchHandler } from '../../src/platform/outbox.js';
import { WEBHOOK_TOPIC } from '../../src/platform/webhooks.js';
import { outboxHandler, startWorker, type BatchReport } from '../../src/worker.js';

/** Records every statement sent through the Kysely instance it is plugged into. */
class StatementLog implements KyselyPlugin {
  private nodes: RootOperationNode[] = [];
  constructor(private readonly base: () => Db) {}
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.nodes.push(args.node);
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
  reset() {
    this.nodes = [];
  }
  get statements(): string[] {
    return this.nodes.map((n) => this.base().getExecutor().compileQuery(n, { queryId: 'log' }).sql.replace(/\s+/g, ' ').trim());
  }
}

/** The SMS gateway stand-in: records sends; numbers in `down` fail like an unreachable gateway. */
class FlakySms implements SmsChannel {
  readonly down = new Set<string>();
  readonly log = new LogSmsChannel(silentLogger, 100_000);
  async send(msg: { clubId: string; to: string; text: string; kind: SmsKind }) {
    if (this.down.has(msg.to)) throw new Error(`gateway: ${msg.to} unreachable`);
    await this.log.send(msg);
  }
  sentTo(to: string) {
    return this.log.sent.filter((s) => s.to === to).length;
  }
}

/** A database this file alone uses. */
async function ownDatabase(engine: Engine): Promise<{ database: Database; drop: () => Promise<void> }> {
  if (engine === 'pglite') {
    const database = await openEngine('pglite');
    return { database, drop: async () => database.close() };
  }
  const runUrl = pgUrl()!;
  const name = `vafa_outbox_${process.pid}_${Date.now() % 1_000_000}`;
  const admin = new pg.Client({ connectionString: runUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const database = await openPostgres(runUrl.replace(/\/[^/]*$/, `/${name}`), { max: 4 });
  await migrate(database);
  return {
    database,
    drop: async () => {
      await database.close();
      // Without force first: a forced drop kills connections still closing (an uncaught pg error).
      let dropped = false;
      for (let i = 0; !dropped && i < 50; i++) {
        dropped = await admin.query(`drop database if exists ${name}`).then(() => true, () => false);
        if (!dropped) await new Promise((r) => setTimeout(r, 100));
      }
      if (!dropped) await admin.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
      await admin.end();
    },
  };
}

/** After the real time of the run: rows enqueued with the default available_at (now()) are due. */
const T0 = new Date('2030-01-10T08:00:00Z');

describeEngines('outbox worker: batches, one mark, at least once, pacing', (engine) => {
  let own: { database: Database; drop: () => Promise<void> };
  let db: Db;
  let services: Services;
  const statements = new StatementLog(() => own.database.db);
  const sms = new FlakySms();
  const clock = new ManualClock(T0);
  let clubId = '';
  let otherClubId = '';
  /** The club's 30 members: the first 20 consent to SMS, the last 10 do not. */
  const members: { id: string; mobile: string; consent: boolean }[] = [];

  beforeAll(async () => {
    own = await ownDatabase(engine);
    db = own.database.db.withPlugin(statements);
    // The real services, over the statement-logging handle.
    services = buildServices({ database: { ...own.database, db }, secrets: makeSecrets('test-secret'), clock, logger: silentLogger, sms });
    const club = await services.clubs.create({ slug: `ob-${engine}-${Date.now() % 100_000}`, name: { fa: 'باشگاه صندوق', en: 'Outbox club' }, pendingDays: 0 });
    const other = await services.clubs.create({ slug: `ob2-${engine}-${Date.now() % 100_000}`, name: { fa: 'باشگاه دیگر', en: 'Other club' }, pendingDays: 0 });
    if (!club.ok || !other.ok) throw new Error('club');
    clubId = club.value.id;
    otherClubId = other.value.id;
    for (let i = 0; i < 30; i++) {
      const m = await services.members.create(clubId, { mobile: mobile(3_300_000 + i), consent: { sms: i < 20 } }, { actor: 'test' });
      if (!m.ok) throw new Error(m.code);
      members.push({ id: m.value.id, mobile: m.value.mobile, consent: i < 20 });
    }
  });
  afterAll(() => own?.drop());
  beforeEach(async () => {
    // Each test starts from an empty outbox, a healthy gateway and the same time.
    await sql`delete from outbox`.execute(own.database.db);
    sms.down.clear();
    sms.log.sent.length = 0;
    clock.set(T0);
    statements.reset();
  });

  const earned = (memberId: string, points: number, club = clubId) => ({ clubId: club, topic: 'points.earned', payload: { memberId, points } });
  const rows = async () =>
    (await sql<{ id: string; topic: string; attempts: number; dispatched_at: Date | null; available_at: Date; last_error: string | null }>`
      select id, topic, attempts, dispatched_at, available_at, last_error from outbox order by id`.execute(own.database.db)).rows;
  const dispatchedCount = async () => Number((await sql<{ n: number }>`select count(*)::int as n from outbox where dispatched_at is not null`.execute(own.database.db)).rows[0]!.n);

  it('a batch: one claim, one member look-up, ONE mark for every message; each SMS sent once', async () => {
    await enqueue(own.database.db, [
      ...members.map((m, i) => earned(m.id, 10 + i)),
      // Not the notifier's: a webhook with no endpoint (given up, no callback), a topic nobody handles.
      { clubId, topic: WEBHOOK_TOPIC, payload: { deliveryId: 'whk_x', purpose: 'nothing', event: 'x', data: {}, maxAttempts: 3, callback: null, context: {} } },
      { clubId, topic: 'safety.probe', payload: { i: 1 } },
      // A member id of this club, announced under another club: never sent.
      earned(members[0]!.id, 5, otherClubId),
    ]);
    await services.clubs.get(clubId); // the club cache is warm in a running worker
    statements.reset();
    const r = await dispatchBatch(db, outboxHandler(services), clock.now(), { limit: 100 });
    expect(r).toEqual({ claimed: 33, sent: 33, failed: 0, released: 0 });

    const sent = statements.statements;
    const marks = sent.filter((s) => /^update outbox set dispatched_at/.test(s));
    expect(marks).toHaveLength(1);
    expect(marks[0]).toMatch(/where id = any\(\$2::bigint\[\]\)$/);
    expect(sent.filter((s) => /from "?members"?/.test(s))).toHaveLength(1);
    // claim + webhook endpoint look-up + member look-up + mark; the clubs select at most once more.
    expect(sent.filter((s) => !/from "clubs"/.test(s)).length).toBe(4);
    expect(await dispatchedCount()).toBe(33);
    expect((await rows()).every((o) => o.attempts === 1 && o.dispatched_at !== null)).toBe(true);
    for (const m of members) expect(sms.sentTo(m.mobile), m.mobile).toBe(m.consent ? 1 : 0);
    expect(sms.log.sent).toHaveLength(20);
    expect(sms.log.sent[0]!.text).toBe('باشگاه صندوق: ۱۰ امتیاز به حساب شما افزوده شد.');

    // Nothing left: the next dispatch claims nothing and sends nothing.
    expect(await dispatchBatch(db, outboxHandler(services), clock.now())).toEqual({ claimed: 0, sent: 0, failed: 0, released: 0 });
    expect(sms.log.sent).toHaveLength(20);
  });

  it('a failing send is retried with backoff; the rest of the batch is delivered once', async () => {
    const consenting = members.filter((m) => m.consent).slice(0, 6);
    const broken = consenting[2]!;
    sms.down.add(broken.mobile);
    await enqueue(own.database.db, consenting.map((m) => earned(m.id, 7)));
    statements.reset();
    const r1 = await dispatchBatch(db, outboxHandler(services), clock.now());
    expect(r1).toEqual({ claimed: 6, sent: 5, failed: 1, released: 0 });
    // One mark for the five, one reschedule for the failure.
    expect(statements.statements.filter((s) => /^update outbox set dispatched_at/.test(s))).toHaveLength(1);
    expect(statements.statements.filter((s) => /^update outbox o set last_error/.test(s))).toHaveLength(1);
    const after1 = await rows();
    const failedRow = after1.find((o) => o.dispatched_at === null)!;
    expect(after1.filter((o) => o.dispatched_at !== null)).toHaveLength(5);
    expect(failedRow.attempts).toBe(1);
    expect(failedRow.last_error).toContain('unreachable');
    expect(new Date(failedRow.available_at).getTime()).toBe(T0.getTime() + 2000); // 2^1 s

    // Not due yet: nothing claimed. Due, gateway back: delivered, attempt 2.
    clock.advance(1000);
    expect((await dispatchBatch(db, outboxHandler(services), clock.now())).claimed).toBe(0);
    sms.down.clear();
    clock.advance(1000);
    expect(await dispatchBatch(db, outboxHandler(services), clock.now())).toEqual({ claimed: 1, sent: 1, failed: 0, released: 0 });
    const after2 = await rows();
    expect(after2.every((o) => o.dispatched_at !== null)).toBe(true);
    expect(after2.find((o) => o.id === failedRow.id)!.attempts).toBe(2);
    for (const m of consenting) expect(sms.sentTo(m.mobile), m.mobile).toBe(1);
  });

  it('per-message handlers (dispatchDue) behind the adapter: a throw fails only its message, the batch still marked in one statement', async () => {
    await enqueue(own.database.db, Array.from({ length: 10 }, (_, i) => ({ clubId, topic: 'safety.probe', payload: { i } })));
    const seen: number[] = [];
    statements.reset();
    const r = await dispatchDue(db, async (m) => {
      seen.push(Number(m.payload.i));
      if (m.payload.i === 4 && m.attempts === 1) throw new Error('handler 4 failed');
    }, clock.now());
    expect(r).toEqual({ sent: 9, failed: 1 });
    expect(statements.statements.filter((s) => /^update outbox set dispatched_at/.test(s))).toHaveLength(1);
    expect(await dispatchedCount()).toBe(9);
    clock.advance(2000);
    expect(await dispatchDue(db, async (m) => void seen.push(Number(m.payload.i)), clock.now())).toEqual({ sent: 1, failed: 0 });
    expect(await dispatchedCount()).toBe(10);
    // Each delivered once, the failed one twice (its failed try and its retry).
    expect(seen.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 4, 5, 6, 7, 8, 9]);
  });

  it('a crash between the handlers and the mark: nothing re-delivered while the lease holds, everything after it (at least once)', async () => {
    const consenting = members.filter((m) => m.consent).slice(0, 8);
    await enqueue(own.database.db, consenting.map((m) => earned(m.id, 3)));
    const real = outboxHandler(services);
    let handled!: () => void;
    const handlersRan = new Promise<void>((r) => (handled = r));
    // The process "dies" once the handlers have run: the dispatch never gets to its mark.
    const dying: BatchHandler = async (batch, ctx) => {
      await real(batch, ctx);
      handled();
      await new Promise(() => undefined);
    };
    void dispatchBatch(db, dying, clock.now(), { leaseMs: 60_000 });
    await handlersRan;
    for (const m of consenting) expect(sms.sentTo(m.mobile)).toBe(1);
    expect(await dispatchedCount()).toBe(0);

    // Another worker, 30 s later: the lease still holds, nothing is delivered twice.
    clock.advance(30_000);
    expect((await dispatchBatch(db, real, clock.now())).claimed).toBe(0);
    // After the lease: every message delivered again, and marked this time.
    clock.advance(30_000);
    expect(await dispatchBatch(db, real, clock.now())).toEqual({ claimed: 8, sent: 8, failed: 0, released: 0 });
    expect(await dispatchedCount()).toBe(8);
    expect((await rows()).map((o) => o.attempts)).toEqual(Array(8).fill(2));
    for (const m of consenting) expect(sms.sentTo(m.mobile)).toBe(2);
  });

  it('a batch whose time budget is spent gives the rest back unattempted', async () => {
    await enqueue(own.database.db, Array.from({ length: 5 }, (_, i) => ({ clubId, topic: 'safety.probe', payload: { i } })));
    // budgetShare 0: the deadline is the claim itself, so no handler is started.
    const r = await dispatchBatch(db, outboxHandler(services), clock.now(), { budgetShare: 0 });
    expect(r).toEqual({ claimed: 5, sent: 0, failed: 0, released: 5 });
    const back = await rows();
    expect(back.every((o) => o.dispatched_at === null && o.attempts === 0 && new Date(o.available_at).getTime() === T0.getTime())).toBe(true);
    expect(await dispatchBatch(db, outboxHandler(services), clock.now())).toEqual({ claimed: 5, sent: 5, failed: 0, released: 0 });
    expect((await rows()).map((o) => o.attempts)).toEqual([1, 1, 1, 1, 1]);
  });

  it('the loop paces itself: pause = work while quiet (share ½), 4× work and smaller batches while busy, the interval when idle', { timeout: 30_000 }, async () => {
    const consenting = members.filter((m) => m.consent);
    await enqueue(own.database.db, Array.from({ length: 250 }, (_, i) => earned(consenting[i % consenting.length]!.id, 1)));
    let t = 0;
    const pauses: number[] = [];
    const reports: BatchReport[] = [];
    let busy = false;
    let idleSeen = 0;
    const worker = startWorker(db, clock, services, silentLogger, {
      intervalMs: 5000,
      batchSize: 100,
      minBatchSize: 25,
      share: 0.5,
      busyShare: 0.2,
      jobsEveryMs: 1e12,
      // Every reading of the monotonic clock moves it 10 ms: each batch "takes" 10 ms.
      monotonicMs: () => (t += 10),
      busy: () => busy,
      sleep: async (ms) => {
        pauses.push(ms);
        if (ms === 5000) idleSeen++;
        await new Promise((r) => setImmediate(r));
      },
      onBatch: (b) => {
        reports.push(b);
        // Ingestion gets busy after the second full batch.
        if (reports.length === 2) busy = true;
      },
    });
    try {
      const t0 = Date.now();
      while (idleSeen < 2 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await worker.stop();
    }
    // Quiet: 100-message batches, pause = the batch's 10 ms of work.
    expect(reports.slice(0, 2).map((b) => [b.limit, b.claimed, b.busy, b.workMs, b.pauseMs])).toEqual([
      [100, 100, false, 10, 10],
      [100, 100, false, 10, 10],
    ]);
    // Busy: the batch halves to the floor, the pause is 4 × the work (busyShare 0.2).
    expect(reports.slice(2, 4).map((b) => [b.limit, b.claimed, b.busy, b.pauseMs])).toEqual([
      [50, 50, true, 40],
      [25, 0, true, 5000],
    ]);
    // Every batch was followed by a pause: the loop never ran two batches back to back.
    expect(pauses.length).toBeGreaterThanOrEqual(reports.length - 1);
    expect(pauses.every((p) => p >= 2)).toBe(true);
    expect(await dispatchedCount()).toBe(250);
    expect((await rows()).every((o) => o.attempts === 1)).toBe(true);
  });
  it('the default busy signal: events committed over HTTP shrink the batches and lengthen the pauses; quiet again, they grow back', { timeout: 60_000 }, async () => {
    // A full app over this file's database, the worker on its services, real timers.
    const vafa = await buildApp({ database: own.database, secrets: makeSecrets('test-secret'), clock, logger: silentLogger, sms: new LogSmsChannel(silentLogger) });
    await vafa.app.ready();
    const key = (await vafa.services.access.createApiKey(clubId, { name: 'pos', role: 'integration' }, 'test')).key;
    const reports: BatchReport[] = [];
    // A backlog first, so every batch while the events flow is a full one.
    const consenting = members.filter((m) => m.consent);
    await enqueue(own.database.db, Array.from({ length: 600 }, (_, i) => earned(consenting[i % consenting.length]!.id, 1)));
    let posting = true;
    const worker = startWorker(own.database.db, clock, vafa.services, silentLogger, {
      intervalMs: 30,
      jobsEveryMs: 1e12,
      busyUtilization: 2, // the event-loop half off: this shows the committed-events half
      busyEventsPerSec: 20,
      onBatch: (b) => reports.push({ ...b, posting } as BatchReport & { posting: boolean }),
    });
    try {
      for (let wave = 0; wave < 8; wave++) {
        const posts = Array.from({ length: 15 }, (_, i) =>
          vafa.app.inject({
            method: 'POST',
            url: '/api/v1/events',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': `busy-${engine}-${wave}-${i}` },
            payload: JSON.stringify({ eventId: `busy-${engine}-${wave}-${i}`, type: 'purchase', member: { id: consenting[i]!.id }, amountRials: 1_000_000 }),
          }),
        );
        for (const r of await Promise.all(posts)) expect(r.statusCode, r.body).toBe(201);
        await new Promise((r) => setTimeout(r, 40));
      }
      posting = false;
      const t0 = Date.now();
      while (Date.now() - t0 < 30_000 && (await sql<{ n: number }>`select count(*)::int as n from outbox where dispatched_at is null`.execute(own.database.db)).rows[0]!.n > 0) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await worker.stop();
      await vafa.app.close();
    }
    const during = (reports as (BatchReport & { posting: boolean })[]).filter((b) => b.posting);
    const busy = during.filter((b) => b.busy);
    expect(busy.length, JSON.stringify(during)).toBeGreaterThan(0);
    for (const b of busy) expect(b.limit).toBeLessThanOrEqual(50);
    // A full batch while busy pauses 3 × its work (busyShare ¼); quiet and full, 1 × (share ½).
    for (const b of reports.filter((x) => x.claimed >= x.limit)) expect(b.pauseMs).toBeCloseTo(Math.max(2, Math.min(30, b.workMs * (b.busy ? 3 : 1))), 5);
    // Quiet again: not busy, batches back to 100.
    const last = reports.at(-1)!;
    expect(last.busy).toBe(false);
    expect(last.limit).toBe(100);
    // Everything delivered, each message once.
    expect((await rows()).every((o) => o.dispatched_at !== null && o.attempts === 1)).toBe(true);
    expect((await rows()).filter((o) => o.topic === 'points.earned')).toHaveLength(600 + 8 * 15);
  });
});
