/**
 * Festival scoring on the earn path: a wrapper around whatever EarnFn the club runs (the
 * base rate, or the rules engine). Same transaction, at most one extra statement, only when
 * someone in the batch takes part in a festival that has not ended:
 *
 * 1. the inner function computes its awards (club points, and maybe `festival:<id>` awards
 *    from festival rules);
 * 2. for each event inside a festival's window, the festival's own indicators add score, the
 *    rules' festival awards theirs, and its performance categories (most purchases…) their
 *    deltas;
 * 3. the rows of (festival, member) pairs that take part go into the festival score queue,
 *    the rest are dropped: a non-participant, an event outside the window or a festival of
 *    another club never earns festival score. Who takes part comes with the member (the
 *    member look-up carries the festivals they joined: FestivalService adds that fact), so
 *    this is one plain insert — riding on the ledger's statement when the caller gives a
 *    `later` (the events service does), so no round trip of its own — and nothing at all
 *    when nobody in the batch takes part; members read without it are probed in SQL
 *    (store.ts enqueueScores).
 *
 * The queued score reaches the ledger (`festival:<id>` entries) and the standings behind the
 * earn path, in batches (service.ts applyQueued: the worker, any read of standings, ranks,
 * draws or top performers, and a refund of the member, which apply first). Club points pass
 * through untouched; festival awards never reach the events service's credits.
 */
import type { Tx } from '../../platform/db.js';
import type { Award, EarnFn } from '../events/index.js';
import { categoryDelta, festivalIdOfUnit, indicatorScore, inWindow, type Category, type Indicator } from './domain.js';
import { enqueueScores, insertQueued, queuedInsert, INDICATOR_MEMO, type QueuedScore } from './store.js';

/** The member fact (members.addFact) that lists the festivals a member takes part in. */
export const JOINED_FESTIVALS = 'festivals';

export interface EarnFestival {
  id: string;
  startsAt: Date;
  endsAt: Date;
  indicators: Indicator[];
  categories: Category[];
}

/** Where the wrapper gets the club's festivals (cached) and the time. */
export interface FestivalSource {
  now(): Date;
  forEarn(tx: Tx, clubId: string): Promise<EarnFestival[]>;
}

export function composeFestivalEarn(inner: EarnFn, source: FestivalSource): EarnFn {
  return async (tx, inputs, later) => {
    const awards = await inner(tx, inputs, later);
    if (inputs.length === 0) return awards;
    const clubId = inputs[0]!.club.id;
    const now = source.now();
    // Scoring stops when the festival ends, whatever the event's own time says.
    const festivals = (await source.forEarn(tx, clubId)).filter((f) => f.endsAt > now);
    const isFestivalAward = (a: Award) => festivalIdOfUnit(a.unit) !== null;
    // No festival running and no festival award from the inner function: nothing to do.
    if (festivals.length === 0 && !awards.some((list) => list.some(isFestivalAward))) return awards;

    const rows: QueuedScore[] = [];
    const joinedOf = new Map<string, string[]>();
    for (const { member, memberId } of inputs) {
      const joined = member?.extra?.[JOINED_FESTIVALS];
      if (Array.isArray(joined)) joinedOf.set(memberId, joined as string[]);
    }
    inputs.forEach(({ event, memberId }, k) => {
      const fromRules = new Map<string, Award[]>();
      for (const a of awards[k] ?? []) {
        const fid = festivalIdOfUnit(a.unit);
        if (fid && a.points > 0) (fromRules.get(fid) ?? fromRules.set(fid, []).get(fid)!).push(a);
      }
      for (const f of festivals) {
        if (!inWindow(f, event.occurredAt)) continue;
        const parts = (fromRules.get(f.id) ?? []).map((a) => ({ rule: a.ruleVersion ?? null, points: a.points, memo: a.memo ?? null }));
        const mine = indicatorScore(f.indicators, event);
        if (mine > 0) parts.push({ rule: null, points: mine, memo: INDICATOR_MEMO });
        const score = parts.reduce((s, p) => s + p.points, 0);
        const categories: Record<string, number> = {};
        let anyCategory = false;
        for (const c of f.categories) {
          const delta = categoryDelta(c, event);
          if (delta > 0) {
            categories[c.key] = (categories[c.key] ?? 0) + delta;
            anyCategory = true;
          }
        }
        if (score <= 0 && !anyCategory) continue;
        // The common row (the festival's indicators alone, no category) carries no detail.
        const awardsDetail = parts.length === 1 && parts[0]!.memo === INDICATOR_MEMO && parts[0]!.rule === null ? null : score > 0 ? parts : null;
        rows.push({
          festivalId: f.id, memberId, eventId: event.id, occurredAt: event.occurredAt, score,
          detail: anyCategory || awardsDetail ? { ...(anyCategory ? { categories } : {}), ...(awardsDetail ? { awards: awardsDetail } : {}) } : null,
        });
      }
    });

    if (rows.length) {
      // Members read with the festivals they take part in (the usual case: the events
      // service's look-up carries that fact) are sorted here; the rest are probed in SQL.
      const known: QueuedScore[] = [];
      const unknown: QueuedScore[] = [];
      for (const r of rows) {
        const joined = joinedOf.get(r.memberId);
        if (joined === undefined) unknown.push(r);
        else if (joined.includes(r.festivalId)) known.push(r);
      }
      // Known participants' rows ride on the ledger's statement when the caller runs one.
      if (later && known.length) later(queuedInsert(clubId, known));
      else await insertQueued(tx, clubId, known);
      await enqueueScores(tx, clubId, unknown);
    }
    return inputs.map((_, k) => (awards[k] ?? []).filter((a) => !isFestivalAward(a)));
  };
}
