/**
 * Game mechanics use cases: define badges, streaks and challenges; show them to members;
 * and the earn-path wrapper that keeps counters, streaks and challenge progress in the earn
 * transaction (one statement per batch, only when the club has something defined), awards
 * badges and completed challenges, and announces them through the outbox.
 */
import type { Db, Executor } from '../../platform/db.js';
import { inTx } from '../../platform/db.js';
import { audit } from '../../platform/audit.js';
import type { Clock } from '../../platform/clock.js';
import { newId } from '../../platform/ids.js';
import { formatJalali, parseDateInput, zonedDateStart } from '../../platform/jalali.js';
import { idempotent, type IdempotencyClaim } from '../../platform/idempotency.js';
import { enqueue, type OutboxMessage } from '../../platform/outbox.js';
import { fail, ok, type Result } from '../../platform/result.js';
import type { Club } from '../clubs/index.js';
import type { Award, EarnFn } from '../events/index.js';
import { compileCriteria, criteriaHold, type CompiledCriteria } from './cel.js';
import {
  badgeSms,
  challengeSms,
  counterKey,
  liveStreak,
  streakKeys,
  type BadgeCreate,
  type ChallengeCreate,
  type Period,
  type StreakCreate,
} from './domain.js';
import * as store from './store.js';

export interface Ctx {
  actor: string;
  requestId?: string;
  idempotency?: IdempotencyClaim | null;
}

export interface BadgeView {
  id: string;
  code: string;
  name: { fa: string; en: string };
  description: { fa: string; en: string } | null;
  criteria: string;
  period: Period;
  repeatable: boolean;
  rewardPoints: number;
  active: boolean;
}
export interface StreakView { id: string; code: string; name: { fa: string; en: string }; eventType: string; unit: 'day' | 'week'; active: boolean }
export interface ChallengeView {
  id: string;
  code: string;
  name: { fa: string; en: string };
  eventType: string;
  measure: 'count' | 'amount';
  target: number;
  window: { from: string; to: string; startsAt: string; endsAt: string };
  rewardPoints: number;
  active: boolean;
}

interface Definitions {
  badges: (BadgeView & { compiled: CompiledCriteria })[];
  streaks: StreakView[];
  challenges: (ChallengeView & { startsAt: Date; endsAt: Date })[];
  empty: boolean;
}

const badgeView = (r: store.BadgeRow): BadgeView => ({
  id: r.id, code: r.code, name: { fa: r.name_fa, en: r.name_en }, description: store.parseJson(r.description) ?? null, criteria: r.criteria,
  period: r.period, repeatable: r.repeatable, rewardPoints: Number(r.reward_points), active: r.active,
});
const streakView = (r: store.StreakRow): StreakView => ({ id: r.id, code: r.code, name: { fa: r.name_fa, en: r.name_en }, eventType: r.event_type, unit: r.unit, active: r.active });
const challengeView = (r: store.ChallengeRow): ChallengeView => ({
  id: r.id, code: r.code, name: { fa: r.name_fa, en: r.name_en }, eventType: r.event_type, measure: r.measure, target: Number(r.target),
  window: { from: formatJalali(store.dateText(r.starts_on)), to: formatJalali(store.dateText(r.ends_on)), startsAt: new Date(r.starts_at).toISOString(), endsAt: new Date(r.ends_at).toISOString() },
  rewardPoints: Number(r.reward_points), active: r.active,
});

export class GameService {
  private readonly cache = new Map<string, { at: number; defs: Definitions }>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly cacheTtlMs = 5_000,
  ) {}

  // ───────────────────────────── definitions ─────────────────────────────

  async createBadge(club: Club, input: BadgeCreate, ctx: Ctx): Promise<Result<BadgeView>> {
    const c = compileCriteria(input.criteria);
    if (!c.ok) return fail('invalid_criteria', c.detail);
    return this.define(club, 'game_badges', 'badge', {
      id: newId('bdg'), code: input.code, name_fa: input.name.fa, name_en: input.name.en, description: input.description ? JSON.stringify(input.description) : null,
      criteria: input.criteria, period: input.period, repeatable: input.repeatable, reward_points: input.rewardPoints,
    }, (r) => badgeView(r as unknown as store.BadgeRow), ctx);
  }

  async createStreak(club: Club, input: StreakCreate, ctx: Ctx): Promise<Result<StreakView>> {
    return this.define(club, 'game_streaks', 'streak', { id: newId('srk'), code: input.code, name_fa: input.name.fa, name_en: input.name.en, event_type: input.eventType, unit: input.unit },
      (r) => streakView(r as unknown as store.StreakRow), ctx);
  }

  async createChallenge(club: Club, input: ChallengeCreate, ctx: Ctx): Promise<Result<ChallengeView>> {
    const from = parseDateInput(input.window.from);
    const to = parseDateInput(input.window.to);
    if (!from || !to || from < '1900-01-01' || to > '2999-12-31') return fail('invalid_date', `window: ${input.window.from} – ${input.window.to}`);
    if (to < from) return fail('validation_failed', 'window.to is before window.from');
    const dayAfter = new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    const endsAt = zonedDateStart(dayAfter, club.timeZone);
    if (endsAt <= this.clock.now()) return fail('validation_failed', 'the challenge window is already over');
    return this.define(club, 'game_challenges', 'challenge', {
      id: newId('chl'), code: input.code, name_fa: input.name.fa, name_en: input.name.en, event_type: input.eventType, measure: input.measure, target: input.target,
      starts_on: from, ends_on: to, starts_at: zonedDateStart(from, club.timeZone), ends_at: endsAt, reward_points: input.rewardPoints,
    }, (r) => challengeView(r as unknown as store.ChallengeRow), ctx);
  }

  private async define<T>(club: Club, table: 'game_badges' | 'game_streaks' | 'game_challenges', kind: string, values: Record<string, unknown>, view: (r: Record<string, unknown>) => T, ctx: Ctx): Promise<Result<T>> {
    const r = await inTx(this.db, (tx) =>
      idempotent(tx, club.id, ctx.idempotency ?? null, 201, async () => {
        const row = await store.insertDefinition(tx, table, { ...values, club_id: club.id, created_at: this.clock.now() });
        if (!row) return fail('conflict', `a ${kind} with code "${values.code}" exists`);
        const v = view(row);
        await audit(tx, { clubId: club.id, actor: ctx.actor, action: `${kind}.created`, target: String(values.id), after: v, requestId: ctx.requestId });
        return ok(v);
      }),
    );
    this.cache.delete(club.id);
    return r.ok ? ok(r.value.value) : r;
  }

  async setActive(clubId: string, kind: 'badge' | 'streak' | 'challenge', id: string, active: boolean, ctx: Ctx): Promise<Result<{ id: string; active: boolean }>> {
    const table = kind === 'badge' ? 'game_badges' : kind === 'streak' ? 'game_streaks' : 'game_challenges';
    const r = await inTx(this.db, async (tx) => {
      if (!(await store.setActive(tx, table, clubId, id, active))) return fail('badge_not_found');
      await audit(tx, { clubId, actor: ctx.actor, action: `${kind}.${active ? 'activated' : 'deactivated'}`, target: id, requestId: ctx.requestId });
      return ok({ id, active });
    });
    this.cache.delete(clubId);
    return r;
  }

  async list(clubId: string) {
    return {
      badges: (await store.listBadges(this.db, clubId)).map(badgeView),
      streaks: (await store.listStreaks(this.db, clubId)).map(streakView),
      challenges: (await store.listChallenges(this.db, clubId)).map(challengeView),
    };
  }

  private async definitions(db: Executor, clubId: string): Promise<Definitions> {
    const hit = this.cache.get(clubId);
    if (hit && Date.now() - hit.at < this.cacheTtlMs) return hit.defs;
    const badges = (await store.listBadges(db, clubId, true)).flatMap((r) => {
      const c = compileCriteria(r.criteria);
      return c.ok ? [{ ...badgeView(r), compiled: c.value }] : [];
    });
    const streaks = (await store.listStreaks(db, clubId, true)).map(streakView);
    const challenges = (await store.listChallenges(db, clubId, { activeOnly: true, endsAfter: this.clock.now() })).map((r) => ({ ...challengeView(r), startsAt: new Date(r.starts_at), endsAt: new Date(r.ends_at) }));
    const defs = { badges, streaks, challenges, empty: !badges.length && !streaks.length && !challenges.length };
    this.cache.set(clubId, { at: Date.now(), defs });
    return defs;
  }

  // ───────────────────────────── member views ─────────────────────────────

  async memberBadges(club: Club, memberId: string) {
    const badges = await store.listBadges(this.db, club.id);
    const earned = await store.memberBadges(this.db, club.id, memberId);
    const byBadge = new Map<string, { periodKey: string; earnedAt: string }[]>();
    for (const e of earned) byBadge.set(e.badge_id, [...(byBadge.get(e.badge_id) ?? []), { periodKey: e.period_key, earnedAt: new Date(e.earned_at).toISOString() }]);
    return {
      items: badges
        .filter((b) => b.active || byBadge.has(b.id))
        .map((b) => {
          const { criteria: _criteria, active: _active, ...v } = badgeView(b);
          const times = byBadge.get(b.id) ?? [];
          return { ...v, earned: times.length > 0, times: times.length, lastEarnedAt: times.at(-1)?.earnedAt ?? null, earnedIn: times.map((t) => t.periodKey).filter(Boolean) };
        }),
    };
  }

  async memberStreaks(club: Club, memberId: string) {
    const now = this.clock.now();
    const defs = await store.listStreaks(this.db, club.id, true);
    const mine = new Map((await store.memberStreaks(this.db, club.id, memberId)).map((s) => [s.streak_id, s]));
    return {
      items: defs.map((d) => {
        const s = mine.get(d.id);
        const keys = streakKeys(now, d.unit, club.timeZone);
        return { ...streakView(d), current: s ? liveStreak({ lastKey: s.last_key, current: Number(s.current) }, keys) : 0, best: s ? Number(s.best) : 0, lastPeriod: s?.last_key ?? null, doneThisPeriod: s?.last_key === keys.key };
      }),
    };
  }

  async memberChallenges(club: Club, memberId: string) {
    const now = this.clock.now();
    const defs = await store.listChallenges(this.db, club.id, { activeOnly: true });
    const mine = new Map((await store.memberChallenges(this.db, club.id, memberId)).map((c) => [c.challenge_id, c]));
    return {
      items: defs
        .filter((d) => new Date(d.ends_at) > now || mine.get(d.id)?.completed_at)
        .map((d) => {
          const c = mine.get(d.id);
          const progress = Number(c?.progress ?? 0);
          const target = Number(d.target);
          return {
            ...challengeView(d),
            progress: Math.min(progress, target),
            percent: Math.min(100, Math.floor((progress * 100) / target)),
            completed: Boolean(c?.completed_at),
            completedAt: c?.completed_at ? new Date(c.completed_at).toISOString() : null,
            deadline: new Date(d.ends_at).toISOString(),
            open: new Date(d.starts_at) <= now && now < new Date(d.ends_at),
          };
        }),
    };
  }

  // ───────────────────────────── the earn path ─────────────────────────────

  /** Wraps the club's earn function: counters, streaks, challenges and badges in the same transaction. */
  composeEarn(inner: EarnFn): EarnFn {
    return async (tx, inputs, later) => {
      const awards = await inner(tx, inputs, later);
      if (!inputs.length) return awards;
      const club = inputs[0]!.club;
      const defs = await this.definitions(tx, club.id);
      if (defs.empty) return awards;
      const now = this.clock.now();
      const tz = club.timeZone;
      const periods = [...new Set(defs.badges.map((b) => b.period))];

      // What this batch adds, aggregated per key (a batch may hold one member many times).
      const counters = new Map<string, store.CounterDelta>();
      const streaks = new Map<string, store.StreakHit>();
      const challenges = new Map<string, store.ChallengeDelta>();
      const periodKeys = new Set<string>();
      const eventKeys = inputs.map(({ memberId, event }) => {
        const keys = new Map<Period, string>();
        for (const p of periods) {
          const key = counterKey(event.occurredAt, p, tz);
          keys.set(p, key);
          periodKeys.add(key);
          const k = `${memberId}\u0000${event.type}\u0000${key}`;
          const c = counters.get(k) ?? { memberId, eventType: event.type, periodKey: key, events: 0, amount: 0 };
          c.events += 1;
          c.amount += event.amountRials ?? 0;
          counters.set(k, c);
        }
        for (const s of defs.streaks) {
          if (s.eventType !== event.type) continue;
          const { key, prev } = streakKeys(event.occurredAt, s.unit, tz);
          const k = `${memberId}\u0000${s.id}`;
          const seen = streaks.get(k);
          if (!seen || key > seen.key) streaks.set(k, { memberId, streakId: s.id, key, prev });
        }
        for (const ch of defs.challenges) {
          if (ch.eventType !== event.type || event.occurredAt < ch.startsAt || event.occurredAt >= ch.endsAt || now >= ch.endsAt) continue;
          const delta = ch.measure === 'count' ? 1 : Math.floor(event.amountRials ?? 0);
          if (delta <= 0) continue;
          const k = `${memberId}\u0000${ch.id}`;
          const cur = challenges.get(k) ?? { memberId, challengeId: ch.id, delta: 0 };
          cur.delta += delta;
          challenges.set(k, cur);
        }
        return keys;
      });
      if (!counters.size && !streaks.size && !challenges.size) return awards;

      const members = [...new Set(inputs.map((i) => i.memberId))];
      const state = await store.applyGameBatch(tx, club.id, now, {
        counters: [...counters.values()], streaks: [...streaks.values()], challenges: [...challenges.values()],
        members, periodKeys: [...periodKeys], readBadges: defs.badges.length > 0,
      });

      const extra: Award[][] = inputs.map(() => []);
      const outbox: OutboxMessage[] = [];

      // Badges: evaluated per event against the counters of its periods after the batch.
      const earned: { memberId: string; badgeId: string; periodKey: string; eventId: string | null; k: number }[] = [];
      const claimed = new Set<string>();
      inputs.forEach(({ memberId, event }, k) => {
        for (const b of defs.badges) {
          const key = eventKeys[k]!.get(b.period)!;
          const heldKey = b.repeatable ? key : '';
          const id = `${memberId}\u0000${b.id}\u0000${heldKey}`;
          if (claimed.has(id) || state.held.get(memberId)?.get(b.id)?.has(heldKey)) continue;
          const vars = { counts: {} as Record<string, number>, amounts: {} as Record<string, number>, streaks: {} as Record<string, number> };
          for (const [type, v] of state.counters.get(memberId)?.get(key) ?? []) {
            vars.counts[type] = v.events;
            vars.amounts[type] = v.amount;
          }
          for (const s of defs.streaks) {
            const st = state.streaks.get(memberId)?.get(s.id);
            if (st) vars.streaks[s.code] = liveStreak(st, streakKeys(event.occurredAt, s.unit, tz));
          }
          if (!criteriaHold(b.compiled, vars)) continue;
          claimed.add(id);
          earned.push({ memberId, badgeId: b.id, periodKey: heldKey, eventId: event.id, k });
        }
      });
      if (earned.length) {
        const inserted = await store.insertBadges(tx, club.id, earned, now);
        for (const e of earned) {
          if (!inserted.has(`${e.memberId}\u0000${e.badgeId}\u0000${e.periodKey}`)) continue;
          const b = defs.badges.find((x) => x.id === e.badgeId)!;
          if (b.rewardPoints > 0) extra[e.k]!.push({ unit: 'points', points: b.rewardPoints, memo: `badge ${b.code}` });
          outbox.push({ clubId: club.id, topic: 'badge.earned', payload: { memberId: e.memberId, badgeId: b.id, code: b.code, name: b.name, periodKey: e.periodKey || null, rewardPoints: b.rewardPoints, eventId: e.eventId, sms: { kind: 'transactional', template: 'badge_earned', text: badgeSms(club.name.fa, b.name.fa, b.rewardPoints) } } });
        }
      }

      // Challenges: completed when the progress first reaches the target.
      const done = state.challenges.filter((c) => !c.completedBefore && c.progress >= (defs.challenges.find((x) => x.id === c.challengeId)?.target ?? Infinity));
      if (done.length) {
        const completed = await store.completeChallenges(tx, club.id, done, now);
        for (const c of done) {
          if (!completed.has(`${c.memberId}\u0000${c.challengeId}`)) continue;
          const ch = defs.challenges.find((x) => x.id === c.challengeId)!;
          let k = -1;
          inputs.forEach((i, n) => {
            if (i.memberId === c.memberId && i.event.type === ch.eventType) k = n;
          });
          if (ch.rewardPoints > 0 && k >= 0) extra[k]!.push({ unit: 'points', points: ch.rewardPoints, memo: `challenge ${ch.code}` });
          outbox.push({ clubId: club.id, topic: 'challenge.completed', payload: { memberId: c.memberId, challengeId: ch.id, code: ch.code, name: ch.name, progress: c.progress, target: ch.target, rewardPoints: ch.rewardPoints, sms: { kind: 'transactional', template: 'challenge_completed', text: challengeSms(club.name.fa, ch.name.fa, ch.rewardPoints) } } });
        }
      }
      await enqueue(tx, outbox);
      return awards.map((list, k) => (extra[k]!.length ? [...list, ...extra[k]!] : list));
    };
  }
}
