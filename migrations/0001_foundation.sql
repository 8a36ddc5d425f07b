-- Foundation: clubs (tenants), access, members, the double-entry points ledger, events,
-- idempotency and the outbox. Every row carries club_id (the future distribution column).

create table clubs (
  id                 text primary key,
  slug               text not null unique,
  name_fa            text not null,
  name_en            text not null default '',
  time_zone          text not null default 'Asia/Tehran',
  calendar           text not null default 'jalali' check (calendar in ('jalali', 'gregorian')),
  currency_display   text not null default 'rial' check (currency_display in ('rial', 'toman')),
  point_value_rials  bigint not null default 1000 check (point_value_rials > 0),
  expiry_months      int not null default 12 check (expiry_months >= 0),
  pending_days       int not null default 14 check (pending_days >= 0),
  earn_points        int not null default 1 check (earn_points >= 0),
  earn_per_rials     bigint not null default 10000 check (earn_per_rials > 0),
  allow_transfers    boolean not null default false,
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now()
);

create table api_keys (
  id            text primary key,
  club_id       text not null references clubs (id),
  name          text not null,
  role          text not null check (role in ('integration', 'pos', 'partner', 'merchant', 'dealer')),
  prefix        text not null,
  key_hash      text not null unique,
  created_by    text,
  created_at    timestamptz not null default now(),
  revoked_at    timestamptz
);
create index api_keys_club on api_keys (club_id);

create table operators (
  id             text primary key,
  club_id        text not null references clubs (id),
  username       text not null,
  name           text not null default '',
  role           text not null check (role in ('owner', 'manager', 'analyst', 'support')),
  password_hash  text not null,
  created_at     timestamptz not null default now(),
  disabled_at    timestamptz,
  unique (club_id, username)
);

create table sessions (
  token_hash    text primary key,
  club_id       text not null references clubs (id),
  subject_kind  text not null check (subject_kind in ('operator', 'member')),
  subject_id    text not null,
  role          text not null,
  created_at    timestamptz not null default now(),
  expires_at    timestamptz not null
);
create index sessions_club_subject on sessions (club_id, subject_id);

create table otp_codes (
  id          text primary key,
  club_id     text not null references clubs (id),
  mobile      text not null,
  code_hash   text not null,
  created_at  timestamptz not null default now(),
  expires_at  timestamptz not null,
  attempts    int not null default 0,
  used_at     timestamptz
);
create index otp_codes_lookup on otp_codes (club_id, mobile, created_at desc);

-- Append-only: the application never updates or deletes audit rows.
create table audit_log (
  id          bigserial primary key,
  club_id     text not null references clubs (id),
  actor       text not null,
  action      text not null,
  target      text,
  before      jsonb,
  after       jsonb,
  request_id  text,
  at          timestamptz not null default now()
);
create index audit_log_club on audit_log (club_id, id desc);

create table members (
  id                    text primary key,
  club_id               text not null references clubs (id),
  mobile                text not null,
  national_code_enc     text,
  national_code_hash    text,
  national_code_masked  text,
  customer_no           text,
  first_name            text,
  last_name             text,
  email                 text,
  birth_date            date,
  city                  text,
  gender                text check (gender in ('female', 'male', 'other')),
  marital_status        text check (marital_status in ('single', 'married')),
  education             text,
  interests             text[] not null default '{}',
  groups                text[] not null default '{}',
  consent_sms           boolean not null default false,
  consent_email         boolean not null default false,
  consent_marketing     boolean not null default false,
  status                text not null default 'active' check (status in ('active', 'suspended', 'closed')),
  referral_code         text not null,
  referred_by           text,
  joined_via            text not null default 'api',
  tier                  text,
  created_at            timestamptz not null default now(),
  updated_at            timestamptz not null default now(),
  unique (club_id, mobile),
  unique (club_id, customer_no),
  unique (club_id, national_code_hash),
  unique (club_id, referral_code)
);
create index members_club_created on members (club_id, created_at, id);
create index members_birthday on members (club_id, (extract(month from birth_date)), (extract(day from birth_date)));

-- Caller events (purchases, refunds, custom). external_id is the caller's own event id.
create table events (
  id            text primary key,
  club_id       text not null references clubs (id),
  external_id   text not null,
  type          text not null,
  member_id     text not null,
  amount_rials  bigint check (amount_rials >= 0),
  occurred_at   timestamptz not null,
  attributes    jsonb not null default '{}',
  refund_of     text,
  body_hash     text not null,
  created_at    timestamptz not null default now(),
  unique (club_id, external_id)
);
create index events_member on events (club_id, member_id, occurred_at);
create index events_refund_of on events (club_id, refund_of) where refund_of is not null;
create index events_occurred on events (club_id, occurred_at);

-- Materialised member balances: the sum of the member's lines per unit, kept in the same
-- transaction. System accounts have no row here (one hot row would cap throughput); their
-- balances are derived from lines.
create table member_balances (
  club_id     text not null,
  member_id   text not null,
  unit        text not null,
  balance     bigint not null check (balance >= 0),
  updated_at  timestamptz not null default now(),
  primary key (club_id, member_id, unit)
);

create table journal_entries (
  id            text primary key,
  club_id       text not null,
  kind          text not null,
  member_id     text,
  event_id      text,
  hold_id       text,
  rule_version  text,
  memo          text,
  actor         text,
  meta          jsonb,
  created_at    timestamptz not null default now()
);
create index journal_entries_event on journal_entries (club_id, event_id) where event_id is not null;

-- Never updated or deleted. Per entry and unit, amounts sum to zero.
-- account: a member id ('mbr_…') or a system account ('system:issued', …).
create table journal_lines (
  entry_id       text not null,
  line_no        smallint not null,
  club_id        text not null,
  account        text not null,
  member_id      text,
  unit           text not null,
  amount         bigint not null,
  balance_after  bigint,
  created_at     timestamptz not null default now(),
  primary key (entry_id, line_no)
);
create index journal_lines_member on journal_lines (club_id, member_id, unit, created_at desc, entry_id desc) where member_id is not null;
create index journal_lines_account on journal_lines (club_id, unit, account) where member_id is null;

-- Each credit is a lot. remaining is the unspent part (spend, expiry and reversal take from
-- it; a released hold gives back). Invariant: sum(remaining) per member and unit = balance.
create table lots (
  id            text primary key,
  club_id       text not null,
  member_id     text not null,
  unit          text not null,
  entry_id      text not null,
  event_id      text,
  amount        bigint not null check (amount > 0),
  remaining     bigint not null check (remaining >= 0 and remaining <= amount),
  available_at  timestamptz not null,
  expires_at    timestamptz,
  created_at    timestamptz not null default now()
);
create index lots_member_open on lots (club_id, member_id, unit, expires_at) where remaining > 0;
create index lots_expiring on lots (expires_at) where remaining > 0 and expires_at is not null;
create index lots_event on lots (club_id, event_id) where event_id is not null;

-- Two-phase reservations: pending → posted | voided | expired.
create table holds (
  id           text primary key,
  club_id      text not null,
  member_id    text not null,
  unit         text not null,
  amount       bigint not null check (amount > 0),
  status       text not null check (status in ('pending', 'posted', 'voided', 'expired')),
  allocations  jsonb not null,
  reference    text,
  expires_at   timestamptz not null,
  created_at   timestamptz not null default now(),
  resolved_at  timestamptz
);
create index holds_pending on holds (expires_at) where status = 'pending';

create table idempotency_keys (
  club_id       text not null,
  key           text not null,
  request_hash  text not null,
  status_code   int,
  response      jsonb,
  created_at    timestamptz not null default now(),
  primary key (club_id, key)
);

-- Written in the same transaction as the change it announces.
create table outbox (
  id             bigserial primary key,
  club_id        text not null,
  topic          text not null,
  payload        jsonb not null,
  created_at     timestamptz not null default now(),
  available_at   timestamptz not null default now(),
  attempts       int not null default 0,
  dispatched_at  timestamptz,
  last_error     text
);
create index outbox_pending on outbox (available_at, id) where dispatched_at is null;
