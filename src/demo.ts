/**
 * The demo club a new user meets on first start: a Persian club with a few hundred members
 * (Jalali birthdays, cities, groups) and some purchases, an owner sign-in and an API key.
 * Deterministic (seeded), so every fresh start looks the same.
 */
import { jalaliToIso } from './platform/jalali.js';
import type { Services } from './app.js';
import type { EventInput } from './modules/events/index.js';

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

export async function seedDemo(s: Services, opts: { members?: number; purchases?: number; now: Date; slug?: string; ownerPassword?: string }): Promise<DemoCredentials> {
  const rand = rng(1404);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const slug = opts.slug ?? 'demo';
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

  const n = opts.members ?? 300;
  const ids: string[] = [];
  let sample = { mobile: '', id: '' };
  for (let i = 0; i < n; i++) {
    const mobile = `0912${String(1000000 + i * 7919).slice(-7)}`;
    const jy = 1340 + Math.floor(rand() * 50);
    const jm = 1 + Math.floor(rand() * 12);
    const jd = 1 + Math.floor(rand() * (jm <= 6 ? 31 : 29));
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
      joinedVia: pick(['branch', 'app', 'pos', 'web'] as const),
    }, { actor: 'system:demo' });
    if (!m.ok) throw new Error(`demo member: ${m.code} ${m.detail ?? ''}`);
    ids.push(m.value.id);
    if (i === 0) sample = { mobile, id: m.value.id };
  }

  const purchases = opts.purchases ?? n * 3;
  const now = opts.now.getTime();
  const batch: EventInput[] = [];
  for (let i = 0; i < purchases; i++) {
    const daysAgo = Math.floor(rand() * 120);
    batch.push({
      eventId: `demo-pos-${i}`,
      type: 'purchase',
      member: { id: ids[Math.floor(rand() * ids.length)]! },
      amountRials: (5 + Math.floor(rand() * 200)) * 100_000,
      occurredAt: new Date(now - daysAgo * 86400_000 - Math.floor(rand() * 86400_000)).toISOString(),
      store: pick(['branch-1', 'branch-2', 'online']),
    });
    if (batch.length === 500 || i === purchases - 1) {
      const r = await s.events.ingestBatch(club.value, batch.splice(0), null);
      if (!r.ok) throw new Error(`demo purchases: ${r.code}`);
    }
  }
  return { club: slug, clubId, owner: { username: 'owner', password }, apiKey: key.key, sampleMember: sample };
}
