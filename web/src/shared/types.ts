/** Shapes of the Vafa API as the web uses them (the lead's contract, issue 7). */

export type LocalizedName = { fa: string; en: string };

export type Club = {
  id: string;
  slug: string;
  name: LocalizedName;
  timeZone: string;
  calendar?: string;
  currencyDisplay: 'rial' | 'toman';
  pointValueRials: number;
  expiryMonths: number;
  pendingDays: number;
  earnRate: { points: number; perRials: number };
  allowTransfers: boolean;
};

export type Operator = { id: string; name: string; role: string; username?: string };

export type Member = {
  id: string;
  mobile: string;
  mobileMasked: string;
  nationalCodeMasked?: string | null;
  customerNo?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  birthDate?: string | null;
  city?: string | null;
  gender?: string | null;
  groups: string[];
  consent: { sms: boolean; email: boolean; marketing: boolean };
  status: string;
  referralCode?: string | null;
  email?: string | null;
  birthDateJalali?: string | null;
  maritalStatus?: 'single' | 'married' | null;
  education?: string | null;
  interests?: string[];
  joinedVia?: string;
  profileCompleteness: number;
  createdAt: string;
  tier?: string | null;
};

export type Page<T> = { items: T[]; nextCursor: string | null };

export type Balance = {
  points: { balance: number; available: number; pending: number; expiringSoon: { points: number; expiresAt: string }[] };
  walletRials: number;
};

export type LedgerKind = 'earn' | 'spend' | 'hold' | 'capture' | 'release' | 'reverse' | 'expire' | 'adjust' | 'transfer_in' | 'transfer_out' | 'convert';

export type HistoryEntry = {
  entryId: string;
  kind: LedgerKind | string;
  unit: string;
  amount: number;
  balanceAfter: number | null;
  at: string;
  memo?: string | null;
  eventId?: string | null;
};

export type ApiKey = { id: string; name: string; role: string; prefix?: string; createdAt?: string; lastUsedAt?: string | null; revokedAt?: string | null };

export type AuditEntry = {
  id: string;
  at: string;
  actor?: string | { type?: string; id?: string; name?: string } | null;
  action: string;
  target?: string | null;
  detail?: unknown;
};

export type Overview = {
  members: number;
  active30: number;
  active90: number;
  liabilityRials: number;
  pointsOutstanding: number;
  issued30: number;
  redeemed30: number;
  expired30: number;
  /** null when nothing was issued in the period. */
  redemptionRate: number | null;
  daily: { date: string; issued: number; redeemed: number; expired: number }[];
  tiers: { tier: string | null; members: number }[];
  joinedVia: { channel: string; members: number }[];
  /** The most redeemed rewards of the period (absent from older APIs). */
  topRewards?: { rewardId: string; title: LocalizedName; type: string; redemptions: number; members: number; points: number }[];
};

/** The optional profile fields whose completion the club rewards (the members module's list). */
export const PROFILE_FIELDS = ['firstName', 'lastName', 'birthDate', 'city', 'gender', 'email', 'nationalCode', 'maritalStatus', 'education', 'interests'] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];

export type RewardType = 'coupon' | 'product' | 'digital' | 'partner_voucher' | 'wallet_credit' | 'donation' | 'draw_ticket' | 'bundle';

export type Reward = {
  id: string;
  type: RewardType;
  title: LocalizedName;
  description: LocalizedName;
  imageUrl: string | null;
  costPoints: number;
  copayRials: number;
  stock: number | null;
  limit: { count: number; period: string } | null;
  audience: { tiers: string[]; groups: string[] };
  availableFrom: string | null;
  availableUntil: string | null;
  window?: { from: string | null; until: string | null };
  config: Record<string, unknown>;
  status: 'active' | 'archived';
  createdAt: string;
  codes?: { available?: number; issued?: number; total?: number; [k: string]: number | undefined };
};

export type CatalogueItem = Reward & { freshness: 'new' | 'rotated' | 'repeat'; timesTaken: number; redeemable: boolean; reason: string | null };

export type Redemption = {
  id: string;
  memberId: string;
  rewardId: string;
  type: string;
  status: 'pending' | 'fulfilled' | 'failed' | 'cancelled';
  fulfilment: 'ordered' | 'shipped' | 'delivered' | 'cancelled' | null;
  points: number;
  copayRials: number;
  quantity: number;
  code: string | null;
  codeExpiresAt: string | null;
  delivery: Record<string, unknown> | null;
  walletRials?: number;
  createdAt: string;
};

// ───────────────────────────── tiers ─────────────────────────────

export type TierLevel = {
  code: string;
  name: { fa: string; en?: string };
  threshold: number;
  multiplier: number;
  rewards: string[];
  thresholdsByCity?: Record<string, number>;
  thresholdsByGroup?: Record<string, number>;
};
export type TierWindow = { kind: 'rolling'; days: number } | { kind: 'jalali_year' } | { kind: 'jalali_month' };
export type TierProgram = {
  measure: 'points' | 'rials';
  window: TierWindow;
  levels: TierLevel[];
  retention: { maxLevelsDown: number; inactiveMonths?: number; inactiveLevelsDown: number };
};
/** GET /api/v1/members/:id/tier (and, once it exists, /api/v1/me/tier). */
export type MemberTier = {
  tier: string | null;
  measure: number | null;
  window: { from: string; to: string; measure: 'points' | 'rials' } | null;
  next: { tier: string; threshold: number; missing: number } | null;
  history: { from: string | null; to: string | null; reason: string; measure: number | null; at: string }[];
};
/** GET /api/v1/me/tier: the member's own view, with names, levels and progress (0–1). */
export type MyTier = Omit<MemberTier, 'next'> & {
  name: { fa: string; en?: string } | null;
  multiplier: number;
  next: { tier: string; name: { fa: string; en?: string } | null; threshold: number; missing: number; progress: number } | null;
  levels: { code: string; name: { fa: string; en?: string }; threshold: number; multiplier: number }[];
  top: boolean;
};

// ───────────────────────────── referrals and occasions ─────────────────────────────

export type ReferralSettings = {
  enabled: boolean;
  qualifyingEvent: string;
  minAmountRials: number;
  referrerPoints: number;
  refereePoints: number;
  monthlyCap: { points?: number; count?: number };
};
export type Referral = { refereeId: string; status: string; reason: string | null; referrerPoints: number; refereePoints: number; availableAt?: string | null; at: string };
/** A friend in GET /api/v1/me/referrals: `pending` until their first qualifying event. */
export type MyReferral = Referral & { name: string | null; mobileMasked: string; joinedAt: string };
export type MyReferrals = {
  code: string;
  link: string;
  settings: ReferralSettings | null;
  items: MyReferral[];
  totals: { invited: number; pending: number; qualified: number; earned: number };
  thisMonth: { count: number; points: number; capReached: boolean };
};

export type OccasionSettings = {
  birthday?: { points: number; sms: boolean; text?: string };
  anniversary?: { points: number; sms: boolean; text?: string };
  profileFields?: { pointsPerField: number; fields?: string[]; requireConsent: boolean };
  expiryReminder?: { daysBefore: number; text?: string };
  sendHour: number;
};

// ───────────────────────────── festivals and draws ─────────────────────────────

export type Indicator = { eventType: string; score: number; per: 'event' | { rials: number }; minAmountRials: number; maxPerEvent?: number };
/** `amount` categories count whole units of `perRials` rials. */
export type FestivalCategory = { key: string; name?: LocalizedName; eventType: string; measure: 'count' | 'amount'; perRials?: number };
export type TopPerformerRule = { category: string; count: number; prize?: LocalizedName };
export type FestivalPhase = 'upcoming' | 'open' | 'closed';

export type Festival = {
  id: string;
  name: LocalizedName;
  description: LocalizedName | null;
  /** from/to as typed (Jalali), fromIso/toIso local dates, startsAt/endsAt instants. */
  window: { from: string; to: string; fromIso: string; toIso: string; startsAt: string; endsAt: string };
  audience: { groups: string[]; tiers: string[] };
  enrolment: 'opt_in' | 'automatic';
  indicators: Indicator[];
  categories: FestivalCategory[];
  staking: { pointsPerChance: number } | null;
  topPerformers: TopPerformerRule[];
  status: 'active' | 'cancelled';
  phase: FestivalPhase;
  createdAt: string;
};
export type MemberFestival = Festival & { joined: boolean; canJoin: boolean; score: number };

export type Prize = { fromRank: number; toRank: number; title: LocalizedName; rewardId?: string };
/** `cancelled`: the festival was cancelled before the draw ran (derived, never drawn). */
export type DrawStatus = 'scheduled' | 'snapshotted' | 'drawn' | 'cancelled';
export type Draw = {
  id: string;
  festivalId: string;
  kind: 'stage' | 'final';
  title: LocalizedName;
  cutoffAt: string;
  drawAt: string;
  winners: number;
  minScore: number;
  chances: { basis: 'score' | 'staked'; pointsPerChance: number };
  excludePastWinners: boolean;
  prizes: Prize[];
  commitment: string;
  committedAt: string;
  status: DrawStatus;
  snapshotAt: string | null;
  entryCount: number | null;
  totalChances: number | null;
  entriesDigest: string | null;
  drawnAt: string | null;
  publicUrl: string;
};
/** GET /api/v1/draws: every draw of the club with its festival. */
export type ClubDraw = Draw & { festival: { id: string; name: LocalizedName; status: 'active' | 'cancelled' } };
export type Paged<T> = { total: number; limit: number; offset: number; items: T[] };
/** GET /api/v1/festivals/:id/participants */
export type FestivalParticipant = { festivalId: string; memberId: string; entryCode: string; entryRef: string; via: 'opt_in' | 'automatic'; joinedAt: string; score: number };

export type DrawDetail = Draw & { winnerList: { rank: number; ref: string; memberId: string; chances: number; prize: Prize | null }[] };

export type Leaderboard = {
  festivalId: string;
  category: string;
  ranked: number;
  items: { rank: number; ref: string; value: number; memberId?: string }[];
  me?: { memberId: string; value: number; rank: number | null; ref: string | null };
};

export type Standing = {
  festival: Festival;
  joined: boolean;
  entryRef: string | null;
  score: number;
  ranks: Record<string, { value: number; rank: number | null; ranked: number }>;
  draws: (Draw & { myEntry: { ref: string; chances: number } | null; stakedChances: number })[];
  wins: { drawId: string; rank: number; ref: string; prize: Prize | null }[];
};

export type TopPerformers = { decidedAt: string | null; items: { category: string; rank: number; memberId: string; ref: string | null; value: number; prize: LocalizedName | null }[] };

/** GET /api/v1/public/draws/:id (docs/draws.md): grows with the draw's status. */
export type PublishedDraw = {
  format: string;
  drawId: string;
  /** The club's slug and name (absent from older documents). */
  club?: string | null;
  clubName?: LocalizedName | null;
  festivalName?: LocalizedName | null;
  festivalId: string;
  title: string;
  titleEn: string;
  kind: 'stage' | 'final';
  status: DrawStatus;
  commitment: string;
  commitmentPublishedAt: string | null;
  cutoffAt: string;
  drawAt: string;
  rules: { minScore: number; chances: { basis: 'score' | 'staked'; pointsPerChance: number }; excludePastWinners: boolean };
  prizes: Prize[];
  winnerCount: number;
  snapshotAt?: string | null;
  entriesDigest?: string | null;
  totalChances?: number;
  entries?: { ref: string; chances: number }[];
  drawnAt?: string | null;
  seedHex?: string;
  winners?: { rank: number; ref: string; chances?: number }[];
};

// ───────────────────────────── game mechanics ─────────────────────────────

export type MemberBadge = {
  id: string;
  code: string;
  name: LocalizedName;
  description: LocalizedName | null;
  period: 'day' | 'week' | 'month' | 'year' | 'lifetime';
  repeatable: boolean;
  rewardPoints: number;
  earned: boolean;
  times: number;
  lastEarnedAt: string | null;
};
export type MemberStreak = { id: string; code: string; name: LocalizedName; eventType: string; unit: 'day' | 'week'; current: number; best: number; doneThisPeriod: boolean };
export type MemberChallenge = {
  id: string;
  code: string;
  name: LocalizedName;
  eventType: string;
  measure: 'count' | 'amount';
  target: number;
  window: { from: string; to: string };
  rewardPoints: number;
  progress: number;
  percent: number;
  completed: boolean;
  completedAt: string | null;
  deadline: string;
  open: boolean;
};
