/**
 * Festival scoring on the earn path: a wrapper around whatever EarnFn the club runs (the
 * base rate today, the rules engine tomorrow). Same transaction: one extra, indexed
 * statement when the club has a festival that has not ended and nobody in the batch takes
 * part, three when someone does, none when no festival is running:
 *
 * 1. the inner function computes its awards (club points, and maybe `festival:<id>` awards
 *    from festival rules);
 * 2. for each event inside a festival's window, the festival's own indicators add score, and
 *    its performance categories (most purchases…) add their deltas;
 * 3. store.ts applyStandings reads which (festival, member) pairs take part, adds all of it
 *    to their standings and moves them in the rank structure;
 * 4. festival awards are kept only for those pairs: a non-participant, an event outside the
 *    window or a festival of another club never earns festival score. Club points pass
 *    through untouched.
 */
import type { Tx } from '../../platform/db.js';
import type { Award, EarnFn } from '../events/index.js';
import { categoryDelta, festivalIdOfUnit, indicatorScore, inWindow, SCORE_CATEGORY, shardOf, unitOf, type Category, type Indicator } from './domain.js';
import { applyStandings, type StandingDelta } from './store.js';

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
  return async (tx, inputs) => {
    const awards = await inner(tx, inputs);
    if (inputs.length === 0) return awards;
    const clubId = inputs[0]!.club.id;
    const now = source.now();
    // Scoring stops when the festival ends, whatever the event's own time says.
    const festivals = (await source.forEarn(tx, clubId)).filter((f) => f.endsAt > now);
    // No festival running and no festival award from the inner function: nothing to do.
    if (festivals.length === 0 && !awards.some((list) => list.some((a) => festivalIdOfUnit(a.unit) !== null))) return awards;
    const byId = new Map(festivals.map((f) => [f.id, f]));

    const rows: StandingDelta[] = [];
    const own: { festivalId: string; points: number }[][] = inputs.map(() => []);
    inputs.forEach(({ event, memberId }, k) => {
      const fromInner = new Map<string, number>();
      for (const a of awards[k] ?? []) {
        const fid = festivalIdOfUnit(a.unit);
        if (fid && a.points > 0) fromInner.set(fid, (fromInner.get(fid) ?? 0) + a.points);
      }
      const shard = shardOf(memberId);
      for (const f of festivals) {
        if (!inWindow(f, event.occurredAt)) continue;
        const mine = indicatorScore(f.indicators, event);
        if (mine > 0) own[k]!.push({ festivalId: f.id, points: mine });
        const score = mine + (fromInner.get(f.id) ?? 0);
        if (score > 0) rows.push({ festivalId: f.id, category: SCORE_CATEGORY, memberId, delta: score, shard });
        for (const c of f.categories) {
          const delta = categoryDelta(c, event);
          if (delta > 0) rows.push({ festivalId: f.id, category: c.key, memberId, delta, shard });
        }
      }
    });

    const taking = rows.length ? await applyStandings(tx, clubId, rows) : new Set<string>();
    const takesPart = (festivalId: string, memberId: string) => taking.has(`${festivalId}\u0000${memberId}`);

    return inputs.map(({ event, memberId }, k) => {
      const kept: Award[] = (awards[k] ?? []).filter((a) => {
        const fid = festivalIdOfUnit(a.unit);
        if (fid === null) return true;
        const f = byId.get(fid);
        return f !== undefined && inWindow(f, event.occurredAt) && takesPart(fid, memberId);
      });
      for (const o of own[k]!) {
        if (takesPart(o.festivalId, memberId)) kept.push({ unit: unitOf(o.festivalId), points: o.points, memo: 'festival indicator' });
      }
      return kept;
    });
  };
}
