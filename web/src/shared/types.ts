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
  redemptionRate: number;
  daily: { date: string; issued: number; redeemed: number; expired: number }[];
  tiers: { tier: string; members: number }[];
  topRewards: { name?: string | LocalizedName; reward?: string; count?: number; redemptions?: number }[];
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
