-- Game mechanics (R12): badges with CEL criteria over member counters, challenges with a
-- target and a deadline, streaks of consecutive days/weeks. Owned by src/modules/gamification.

create table game_badges (
  id             text primary key,
  club_id        text not null references clubs (id),
  code           text not null,
  name_fa        text not null,
  name_en        text not null default '',
  description    jsonb,
  criteria       text not null,
  -- The counters the criteria read: events of this Jalali day/week/month/year, or lifetime.
  period         text not null check (period in ('day', 'week', 'month', 'year', 'lifetime')),
  -- false: earned once; true: once per period (e.g. "5 purchases" every month).
  repeatable     boolean not null default false,
  reward_points  bigint not null default 0 check (reward_points >= 0),
  active         boolean not null default true,
  created_at     timestamptz not null default now(),
  unique (club_id, code)
);

create table game_streaks (
  id          text primary key,
  club_id     text not null references clubs (id),
  code        text not null,
  name_fa     text not null,
  name_en     text not null default '',
  event_type  text not null,
  unit        text not null check (unit in ('day', 'week')),
  active      boolean not null default true,
  created_at  timestamptz not null default now(),
  unique (club_id, code)
);

create table game_challenges (
  id             text primary key,
  club_id        text not null references clubs (id),
  code           text not null,
  name_fa        text not null,
  name_en        text not null default '',
  event_type     text not null,
  measure        text not null check (measure in ('count', 'amount')),
  target         bigint not null check (target > 0),
  starts_on      date not null,
  ends_on        date not null,
  starts_at      timestamptz not null,
  ends_at        timestamptz not null,
  reward_points  bigint not null default 0 check (reward_points >= 0),
  active         boolean not null default true,
  created_at     timestamptz not null default now(),
  unique (club_id, code),
  check (ends_at > starts_at)
);

-- Per member, event type and period key (`L` lifetime, `1404`, `1404-07`, `1404-W12`,
-- `1404-07-15`): kept in the earn transaction with one upsert per batch.
create table game_counters (
  club_id       text not null,
  member_id     text not null,
  period_key    text not null,
  event_type    text not null,
  events        bigint not null,
  amount_rials  bigint not null,
  primary key (club_id, member_id, period_key, event_type)
);

create table game_member_badges (
  club_id     text not null,
  member_id   text not null,
  badge_id    text not null,
  -- '' for a badge earned once; the period key for a repeatable badge.
  period_key  text not null,
  event_id    text,
  earned_at   timestamptz not null,
  primary key (club_id, member_id, badge_id, period_key)
);

create table game_member_streaks (
  club_id     text not null,
  member_id   text not null,
  streak_id   text not null,
  last_key    text not null,
  current     int not null,
  best        int not null,
  updated_at  timestamptz not null,
  primary key (club_id, member_id, streak_id)
);

create table game_member_challenges (
  club_id       text not null,
  member_id     text not null,
  challenge_id  text not null,
  progress      bigint not null,
  completed_at  timestamptz,
  updated_at    timestamptz not null,
  primary key (club_id, member_id, challenge_id)
);
