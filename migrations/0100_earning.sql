-- Earning engine (issue 3): event types, versioned rules and their usage, member
-- counters and activity days, tiers, referrals, occasions. Every row carries club_id.

-- One counter per club, bumped in the same transaction as any change to its event types,
-- rules, tier programme or referral settings. The earn path compares it with its in-memory
-- catalogue once per batch (a primary-key read) and reloads only when it moved.
create table rule_sets (
  club_id     text primary key references clubs (id),
  version     bigint not null default 1,
  updated_at  timestamptz not null default now()
);

-- Custom event types (built-ins need no row) and, optionally, a JSON schema for attributes.
create table event_types (
  club_id      text not null references clubs (id),
  name         text not null,
  version      int not null default 1,
  description  text,
  schema       jsonb,
  status       text not null default 'active' check (status in ('active', 'archived')),
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  primary key (club_id, name)
);

create table rules (
  id          text primary key,
  club_id     text not null references clubs (id),
  version     int not null,
  status      text not null check (status in ('active', 'paused', 'archived')),
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now()
);
create index rules_club on rules (club_id, status);

-- Versions are immutable: an edit inserts the next version.
create table rule_versions (
  rule_id     text not null,
  version     int not null,
  club_id     text not null,
  definition  jsonb not null,
  created_by  text,
  created_at  timestamptz not null default now(),
  primary key (rule_id, version)
);
create index rule_versions_club on rule_versions (club_id, rule_id);

-- What a rule (by id, across versions) gave: per member and Jalali period key
-- ('1404-07', '1404-W12', 'lifetime'), or to everyone (member_id '', period_key 'budget').
-- The referral programme keeps its monthly caps here too (rule_id 'referral').
create table rule_usage (
  club_id     text not null,
  rule_id     text not null,
  member_id   text not null,
  period_key  text not null,
  points      bigint not null default 0,
  times       int not null default 0,
  primary key (club_id, rule_id, member_id, period_key)
);

-- member.counters in rule conditions: events per type and rials per type, before the event.
create table member_counters (
  club_id    text not null,
  member_id  text not null,
  name       text not null,
  value      bigint not null default 0,
  primary key (club_id, member_id, name)
);

-- Activity per member per local day in the club's zone: the tier measure (points earned,
-- rials spent) over any window is a sum of these rows, and the last day is "last active".
create table member_days (
  club_id    text not null,
  member_id  text not null,
  day        date not null,
  points     bigint not null default 0,
  rials      bigint not null default 0,
  events     int not null default 0,
  primary key (club_id, member_id, day)
);

create table tier_programs (
  club_id     text primary key references clubs (id),
  definition  jsonb not null,
  updated_at  timestamptz not null default now()
);

create table tier_history (
  id          bigserial primary key,
  club_id     text not null,
  member_id   text not null,
  from_tier   text,
  to_tier     text,
  reason      text not null,
  measure     bigint,
  at          timestamptz not null default now()
);
create index tier_history_member on tier_history (club_id, member_id, id desc);

-- One review per club and period key, so a daily job run twice demotes once.
create table tier_reviews (
  club_id     text not null,
  period_key  text not null,
  members     int not null default 0,
  at          timestamptz not null default now(),
  primary key (club_id, period_key)
);

create table referral_settings (
  club_id     text primary key references clubs (id),
  definition  jsonb not null,
  updated_at  timestamptz not null default now()
);

-- One row per referee: the referral qualifies (or is refused) once.
create table referrals (
  club_id          text not null,
  referee_id       text not null,
  referrer_id      text not null,
  status           text not null check (status in ('qualified', 'capped', 'rejected')),
  reason           text,
  event_id         text,
  referrer_points  bigint not null default 0,
  referee_points   bigint not null default 0,
  available_at     timestamptz,
  at               timestamptz not null default now(),
  primary key (club_id, referee_id)
);
create index referrals_referrer on referrals (club_id, referrer_id, at desc);

-- Device fingerprints seen on a member's events (attributes.deviceFingerprint) or sent by
-- the app: the same device on both sides of a referral is a self-referral.
create table member_devices (
  club_id      text not null,
  fingerprint  text not null,
  member_id    text not null,
  first_seen   timestamptz not null default now(),
  primary key (club_id, fingerprint, member_id)
);
create index member_devices_member on member_devices (club_id, member_id);

create table occasion_settings (
  club_id     text primary key references clubs (id),
  definition  jsonb not null,
  updated_at  timestamptz not null default now()
);

-- Idempotency of occasions: one award per member, kind and key (birthday: the Jalali year;
-- profile field: the field; anniversary: the year; expiry reminder: the day).
create table occasion_awards (
  club_id     text not null,
  member_id   text not null,
  kind        text not null,
  key         text not null,
  points      bigint not null default 0,
  entry_id    text,
  at          timestamptz not null default now(),
  primary key (club_id, member_id, kind, key)
);

create table occasion_runs (
  club_id      text not null,
  day          date not null,
  finished_at  timestamptz,
  report       jsonb,
  primary key (club_id, day)
);
