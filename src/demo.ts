/**
 * The demo club a new user meets on first start: a Persian club with a few hundred members
 * (Jalali birthdays, cities, groups, friends who invited friends), a tier programme, a
 * referral programme, a rewards catalogue, ~90 days of history (purchases, redemptions, a
 * welcome bonus that expired) and a running festival with a drawn stage draw — an owner
 * sign-in and an API key. Deterministic (seeded), so every fresh start looks the same.
 *
 * Two parts: `seedDemoClub` (what a person signs in to; the first start waits for it) and
 * `writeDemoHistory`, written as it would have happened: services built on a `SeedClock` that
 * the seed moves back day by day, so ledger entries, lots, expiries and redemptions carry their
 * own day and the dashboard's charts look like a real club's. main.ts runs the history after
 * the server is up, with a service graph of its own (live requests keep the system time).
 * Without a clock (the CLI), everything is posted now.
 */
import { jalaliToIso } from './platform/jalali.js';
import type { Clock } from './platform/clock.js';
import type { Db, Executor } from './platform/db.js';
import type { Services } from './app.js';
import type { Club } from './modules/clubs/index.js';
import type { EventInput } from './modules/events/index.js';
import { DrawCreateSchema, FestivalCreateSchema } from './modules/festivals/index.js';
import { RewardCreateSchema } from './modules/rewards/index.js';

/**
 * The system clock, except while the demo seed writes its history: then the time it is
 * moved to. Build a service graph with it and pass both to `writeDemoHistory`.
 */
export class SeedClock implements Clock {
  private at: number | null = null;
  now(): Date {
    return this.at === null ? new Date() : new Date(this.at);
  }
  /** Moves to `t` (null: back to the system time). */
  travel(t: Date | null): void {
    this.at = t === null ? null : t.getTime();
  }
}

export interface DemoCredentials {
  club: string;
  clubId: string;
  owner: { username: string; password: string };
  apiKey: string;
  sampleMember: { mobile: string; id: string };
}

const FIRST = ['علی', 'مریم', 'رضا', 'زهرا', 'حسین', 'فاطمه', 'محمد', 'سارا', 'امیر', 'نرگس', 'مهدی', 'لیلا', 'حمید', 'نازنین', 'کیان', 'پریسا', 'بهرام', 'شیرین', 'آرش', 'الهام'];
const LAST = ['محمدی', 'حسینی', 'احمدی', 'رضایی', 'کریمی', 'موسوی', 'جعفری', 'صادقی', 'رحیمی', 'کاظمی', 'نوری', 'طاهری', 'قاسمی', 'مرادی', 'یزدانی'];
const CITIES = ['تهران', 'مشهد', 'اصفهان', 'شیراز', 'تبریز', 'کرج', 'قم', 'اهواز', 'رشت', 'کرمان'];
const GROUPS = ['doctor', 'lawyer', 'student', 'teacher', 'engineer'];

/** mulberry32: a tiny seeded PRNG so the demo is the same on every machine. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY = 86_400_000;
const HISTORY_DAYS = 90;
const sys = { actor: 'system:demo' };
const must = <T>(what: string, r: { ok: true; value: T } | { ok: false; code: string; detail?: string }): T => {
  if (!r.ok) throw new Error(`demo ${what}: ${r.code} ${r.detail ?? ''}`);
  return r.value;
};

type SeedOptions = { members?: number; purchases?: number; now: Date; slug?: string; ownerPassword?: string; db?: Db };

/** What the club part of the seed hands to its history part. */
export interface DemoClub {
  credentials: DemoCredentials;
  club: Club;
  members: string[];
  rewards: { id: string; weight: number }[];
  purchases: number;
  now: number;
  rand: () => number;
}

/**
 * The whole demo in one go (the CLI, tests): the club, then its history. `clock`: the
 * SeedClock the services were built with, so the history is dated; without one everything is
 * posted now. `db`: the database, so the members are written in one transaction.
 */
export async function seedDemo(s: Services, opts: SeedOptions & { clock?: SeedClock }): Promise<DemoCredentials> {
  const club = await seedDemoClub(s, opts);
  await writeDemoHistory(club, { services: s, clock: opts.clock });
  return club.credentials;
}

/**
 * The club a person signs in to: operators, an API key, programmes, a catalogue, members.
 * Fast — the server's first start waits for it; the history can follow (`writeDemoHistory`).
 */
export async function seedDemoClub(s: Services, opts: SeedOptions): Promise<DemoClub> {
  const rand = rng(1404);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const slug = opts.slug ?? 'demo';
  const now = opts.now.getTime();
  const club = await s.clubs.create({
    slug,
    name: { fa: 'باشگاه مشتریان وفا', en: 'Vafa Demo Club' },
    currencyDisplay: 'toman',
    earnRate: { points: 1, perRials: 10_000 },
    pointValueRials: 1_000,
    expiryMonths: 12,
    pendingDays: 14,
    allowTransfers: true,
  });
  if (!club.ok) throw new Error(`demo club: ${club.code} ${club.detail ?? ''}`);
  const clubId = club.value.id;
  const password = opts.ownerPassword ?? 'vafa-demo-1404';
  const owner = await s.access.createOperator(clubId, { username: 'owner', name: 'مدیر باشگاه', role: 'owner', password }, 'system:demo');
  if (!owner.ok) throw new Error(`demo owner: ${owner.code}`);
  await s.access.createOperator(clubId, { username: 'support', name: 'پشتیبانی', role: 'support', password }, 'system:demo');
  const key = await s.access.createApiKey(clubId, { name: 'demo POS', role: 'integration' }, 'system:demo');

  // Programmes: tiers over points earned in 90 days, referrals with a monthly cap.
  must('tiers', await s.tiers.setProgram(clubId, {
    measure: 'points',
    window: { kind: 'rolling', days: 90 },
    levels: [
      { code: 'silver', name: { fa: 'نقره‌ای', en: 'Silver' }, threshold: 1500 },
      { code: 'gold', name: { fa: 'طلایی', en: 'Gold' }, threshold: 4000, multiplier: 1.25 },
      { code: 'platinum', name: { fa: 'پلاتینی', en: 'Platinum' }, threshold: 9000, multiplier: 1.5 },
    ],
    retention: { maxLevelsDown: 1 },
  }, sys));
  must('referrals', await s.referrals.setSettings(clubId, { referrerPoints: 200, refereePoints: 100, minAmountRials: 1_000_000, monthlyCap: { count: 5 } }, sys));

  // A small catalogue: coffee and discount coupons, a donation, wallet credit, a digital gift.
  const rewardIds: { id: string; cost: number; weight: number }[] = [];
  for (const [weight, r] of [
    [5, { type: 'coupon', title: { fa: 'قهوهٔ رایگان', en: 'Free coffee' }, description: { fa: 'یک فنجان قهوه در هر شعبه', en: 'One cup at any branch' }, costPoints: 300, config: { codes: { source: 'pattern', pattern: 'CAFE-####-??', validDays: 30 } } }],
    [3, { type: 'coupon', title: { fa: '۱۵٪ تخفیف خرید بعدی', en: '15% off your next purchase' }, costPoints: 800, config: { codes: { source: 'pattern', pattern: 'OFF15-######', validDays: 14 } } }],
    [2, { type: 'donation', title: { fa: 'کمک به مؤسسهٔ محک', en: 'Donate to MAHAK' }, costPoints: 500, config: { cause: { fa: 'مؤسسهٔ محک', en: 'MAHAK' } } }],
    [2, { type: 'wallet_credit', title: { fa: 'اعتبار کیف پول', en: 'Wallet credit' }, costPoints: 1000, config: {} }],
    [1, { type: 'digital', title: { fa: 'بستهٔ اینترنت ۵ گیگ', en: '5 GB data pack' }, costPoints: 1500, config: { fulfilment: { sku: 'data-5gb' } } }],
  ] as const) {
    const created = must('reward', await s.rewards.create(clubId, RewardCreateSchema.parse(r), sys));
    rewardIds.push({ id: created.id, cost: r.costPoints, weight });
  }
  const n = opts.members ?? 300;
  const ids: string[] = [];
  const codes: string[] = [];
  let sample = { mobile: '', id: '' };
  const createMembers = async (tx?: Executor) => {
    for (let i = 0; i < n; i++) {
      const mobile = `0912${String(1000000 + i * 7919).slice(-7)}`;
      const jy = 1340 + Math.floor(rand() * 50);
      const jm = 1 + Math.floor(rand() * 12);
      const jd = 1 + Math.floor(rand() * (jm <= 6 ? 31 : 29));
      // Some friends came with a member's referral code (the sample member invites a few).
      const referrer = i > 0 && (i < 6 || rand() < 0.12) ? codes[i < 6 ? 0 : Math.floor(rand() * codes.length)] : undefined;
      const m = await s.members.create(clubId, {
        mobile,
        firstName: pick(FIRST),
        lastName: pick(LAST),
        birthDate: rand() < 0.8 ? jalaliToIso({ jy, jm, jd }) : undefined,
        city: pick(CITIES),
        gender: rand() < 0.5 ? 'female' : 'male',
        groups: rand() < 0.3 ? [pick(GROUPS)] : [],
        customerNo: `C-${10000 + i}`,
        consent: { sms: rand() < 0.7, email: false, marketing: rand() < 0.5 },
        joinedVia: referrer ? 'referral' : pick(['branch', 'app', 'pos', 'web'] as const),
        ...(referrer ? { referredByCode: referrer } : {}),
      }, sys, tx);
      if (!m.ok) throw new Error(`demo member: ${m.code} ${m.detail ?? ''}`);
      ids.push(m.value.id);
      codes.push(m.value.referralCode);
      if (i === 0) sample = { mobile, id: m.value.id };
    }
  };
  if (opts.db) await opts.db.transaction().execute((tx) => createMembers(tx));
  else await createMembers();

  return {
    credentials: { club: slug, clubId, owner: { username: 'owner', password }, apiKey: key.key, sampleMember: sample },
    club: club.value,
    members: ids,
    rewards: rewardIds,
    purchases: opts.purchases ?? n * 3,
    now,
    rand,
  };
}

/**
 * ~90 days of the club's past, as it would have happened: with `clock` (the SeedClock the
 * `services` were built with) moved back day by day, purchases, redemptions, a lapsed welcome
 * bonus and a festival with a drawn stage draw carry their own days. `services` may be a
 * service graph of their own (main.ts writes the history after the server is up, so live
 * requests keep the system time). Without a clock, only the purchases, posted now.
 */
export async function writeDemoHistory(demo: DemoClub, h: { services: Services; clock?: SeedClock }): Promise<void> {
  const s = h.services;
  const { rand, now, club } = demo;
  const clubId = club.id;
  const ids = demo.members;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const history = h.clock !== undefined;
  const travel = (daysAgo: number) => h.clock?.travel(new Date(now - daysAgo * DAY));
  const weighted = demo.rewards.flatMap((r) => Array.from({ length: r.weight }, () => r));
  try {
    // A welcome bonus 85 days ago that lapsed (in two waves) for whoever did not use it.
    if (history) {
      travel(85);
      for (let i = 0; i < ids.length; i += 6) {
        // Two waves: half of the bonuses lapse after 30 days, half after 60.
        const lapse = i % 12 === 0 ? 55 : 25;
        must('bonus', await s.ledger.adjust(clubId, ids[i]!, { points: 150, reason: 'هدیهٔ خوش‌آمد', expiresAt: new Date(now - lapse * DAY) }, sys));
      }
    }

    // Purchases: busier lately (a growing club), fewer on Fridays, a few per member.
    const purchases = demo.purchases;
    const days = history ? HISTORY_DAYS : 0;
    const weights = Array.from({ length: days + 1 }, (_, d) => {
      const weekday = new Date(now - d * DAY).getUTCDay();
      return (1.6 - d / (days || 1)) * (weekday === 5 ? 0.55 : 1) * (0.8 + rand() * 0.4);
    });
    const total = weights.reduce((a, b) => a + b, 0);
    const perDay = weights.map((w) => Math.round((w / total) * purchases));
    let eventNo = 0;
    let stageDraw: string | null = null;
    for (let d = days; d >= 0; d--) {
      travel(d);
      const at = now - d * DAY;
      if (history && d === 30) {
        // The season's festival: automatic for everyone, a stage draw done, a final one ahead.
        const f = must('festival', await s.festivals.create(club, FestivalCreateSchema.parse({
          name: { fa: 'جشنوارهٔ پاییز', en: 'Autumn festival' },
          description: { fa: 'هر ۱۰۰ هزار تومان خرید، یک امتیاز جشنواره؛ قرعه‌کشی مرحله‌ای و نهایی', en: 'One festival point per 1,000,000 rials; stage and final draws' },
          window: { from: isoDay(now - 30 * DAY), to: isoDay(now + 30 * DAY) },
          enrolment: 'automatic',
          indicators: [{ eventType: 'purchase', score: 1, per: { rials: 1_000_000 } }],
          categories: [{ key: 'purchases', name: { fa: 'بیشترین خرید', en: 'Most purchases' }, eventType: 'purchase', measure: 'count' }],
          staking: { pointsPerChance: 100 },
          topPerformers: [{ category: 'score', count: 3, prize: { fa: 'کارت هدیهٔ ۵ میلیون ریالی', en: '5M rial gift card' } }],
        }), sys));
        must('enrol', await s.festivals.syncEnrolment(club, f.id, { full: true }));
        stageDraw = must('draw', await s.festivals.scheduleDraw(club, f.id, DrawCreateSchema.parse({
          kind: 'stage', title: { fa: 'قرعه‌کشی مرحلهٔ اول', en: 'First stage draw' }, cutoffAt: `${isoDay(now - 8 * DAY)} 18:00`, winners: 3, minScore: 5,
          prizes: [{ fromRank: 1, toRank: 3, title: { fa: 'کارت هدیهٔ یک میلیون ریالی', en: '1M rial gift card' } }],
        }), sys)).id;
        must('draw', await s.festivals.scheduleDraw(club, f.id, DrawCreateSchema.parse({
          kind: 'final', title: { fa: 'قرعه‌کشی نهایی', en: 'Final draw' }, cutoffAt: `${isoDay(now + 29 * DAY)} 20:00`, winners: 1, minScore: 20,
          prizes: [{ fromRank: 1, toRank: 1, title: { fa: 'سفر دو نفره به کیش', en: 'A trip for two to Kish' } }],
        }), sys));
      }
      if (history && d === 7 && stageDraw) must('run draw', await s.festivals.runDraw(club, stageDraw, sys));

      const batch: EventInput[] = [];
      const count = history ? perDay[d]! : purchases;
      for (let i = 0; i < count; i++) {
        const daysAgo = history ? d : Math.floor(rand() * 120);
        batch.push({
          eventId: `demo-pos-${eventNo++}`,
          type: 'purchase',
          // Members with a lower index shop more: some regulars, a long tail.
          member: { id: ids[Math.floor(rand() * rand() * ids.length)]! },
          amountRials: (5 + Math.floor(rand() * 200)) * 100_000,
          occurredAt: new Date((history ? at : now - daysAgo * DAY) - Math.floor(rand() * (history ? 10 * 3600_000 : DAY))).toISOString(),
          store: pick(['branch-1', 'branch-2', 'online']),
        });
        if (batch.length === 500 || i === count - 1) {
          const r = await s.events.ingestBatch(club, batch.splice(0), null);
          if (!r.ok) throw new Error(`demo purchases: ${r.code}`);
        }
      }
      if (!history) continue;
      // Redemptions once points have matured (14 days pending): a few a day, more lately.
      if (d < days - 16) {
        const want = Math.round((0.6 + (days - d) / 60) * (0.4 + rand()));
        // One day's redemptions at once: the rewards module groups them per reward.
        await Promise.all(Array.from({ length: want }, () => {
          const r = pick(weighted);
          // Regulars (low indexes) are the ones with points; a refusal (not enough) is fine.
          const memberId = ids[Math.floor(rand() * rand() * Math.min(ids.length, 120))]!;
          return s.rewards.redeem(clubId, memberId, { rewardId: r.id }, sys);
        }));
      }
      if (d === 54 || d === 24) await s.ledger.expireDue(10_000);
    }
  } finally {
    h.clock?.travel(null);
  }
}

/** The club-local (Tehran) ISO date of an instant: festival windows are local dates. */
function isoDay(t: number): string {
  return new Date(t + 3.5 * 3600_000).toISOString().slice(0, 10);
}
