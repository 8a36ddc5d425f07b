-- Festivals (جشنواره): time-boxed campaigns with their own score (ledger unit
-- `festival:<id>`), verifiable draws, leaderboards and top performers.
-- Owned by src/modules/festivals. Every row carries club_id.

create table festivals (
  id              text primary key,
  club_id         text not null references clubs (id),
  name_fa         text not null,
  name_en         text not null default '',
  description     jsonb,
  -- The window as people typed it (local dates, inclusive) and as instants in the club's zone:
  -- [starts_at, ends_at) = [start of starts_on, start of the day after ends_on).
  starts_on       date not null,
  ends_on         date not null,
  starts_at       timestamptz not null,
  ends_at         timestamptz not null,
  audience        jsonb not null,
  enrolment       text not null check (enrolment in ('opt_in', 'automatic')),
  indicators      jsonb not null,
  categories      jsonb not null,
  staking         jsonb,
  top_performers  jsonb not null default '[]',
  status          text not null default 'active' check (status in ('active', 'cancelled')),
  enrol_synced_at timestamptz,
  top_decided_at  timestamptz,
  created_by      text,
  created_at      timestamptz not null default now(),
  check (ends_at > starts_at)
);
create index festivals_club on festivals (club_id, ends_at);

-- Who takes part. entry_code is the short random id that, after the masked mobile, makes a
-- member's draw entry findable and unique (`0912***4567#k3f9x2ab`).
create table festival_participants (
  club_id        text not null,
  festival_id    text not null,
  member_id      text not null,
  entry_code     text not null,
  mobile_masked  text not null,
  via            text not null check (via in ('opt_in', 'automatic')),
  joined_at      timestamptz not null default now(),
  primary key (club_id, festival_id, member_id),
  unique (club_id, festival_id, entry_code)
);

-- Standings per festival and category (`score` = the festival score; others count events or
-- sum rials). A projection kept in the earn transaction; the ledger holds the score itself.
-- seq orders equal values: the member who reached the value first comes first.
create sequence festival_standing_seq;

create table festival_standings (
  club_id      text not null,
  festival_id  text not null,
  category     text not null,
  member_id    text not null,
  value        bigint not null check (value >= 0),
  seq          bigint not null,
  -- The participant's public entry ref, copied here so the top N is one index-only scan.
  ref          text not null,
  primary key (club_id, festival_id, category, member_id)
);
create index festival_standings_rank on festival_standings (club_id, festival_id, category, value desc, seq, member_id) include (ref);

-- A maintained rank structure: how many members stand at each value (and in each block of
-- 128 values), spread over 8 shards so concurrent earn transactions rarely meet on a row.
-- "My rank" = 1 + members above = a sum over a few hundred rows, not a count over a million.
create table festival_rank_counts (
  club_id      text not null,
  festival_id  text not null,
  category     text not null,
  value        bigint not null,
  shard        smallint not null,
  members      bigint not null,
  primary key (club_id, festival_id, category, value, shard)
);

create table festival_rank_blocks (
  club_id      text not null,
  festival_id  text not null,
  category     text not null,
  block        bigint not null,
  shard        smallint not null,
  members      bigint not null,
  primary key (club_id, festival_id, category, block, shard)
);

create table festival_draws (
  id                    text primary key,
  club_id               text not null references clubs (id),
  festival_id           text not null references festivals (id),
  kind                  text not null check (kind in ('stage', 'final')),
  title_fa              text not null,
  title_en              text not null default '',
  cutoff_at             timestamptz not null,
  draw_at               timestamptz not null,
  winner_count          int not null check (winner_count between 1 and 10000),
  min_score             bigint not null check (min_score >= 0),
  chance_basis          text not null check (chance_basis in ('score', 'staked')),
  points_per_chance     bigint not null check (points_per_chance >= 1),
  exclude_past_winners  boolean not null,
  prizes                jsonb not null default '[]',
  -- The seed never leaves the database in clear before the draw: AES-256-GCM under VAFA_SECRET.
  seed_enc              text not null,
  commitment            text not null,
  committed_at          timestamptz not null,
  -- scheduled → snapshotted (at the cut-off) → drawn (at draw_at)
  status                text not null check (status in ('scheduled', 'snapshotted', 'drawn')),
  snapshot_at           timestamptz,
  entry_count           int,
  total_chances         bigint,
  entries_digest        text,
  drawn_at              timestamptz,
  created_by            text,
  created_at            timestamptz not null default now(),
  check (draw_at >= cutoff_at)
);
create index festival_draws_festival on festival_draws (club_id, festival_id, cutoff_at);
create index festival_draws_due on festival_draws (cutoff_at) where status <> 'drawn';

-- The frozen eligibility list. ref is compared bytewise (COLLATE "C") so the primary key
-- reads back in the canonical order of docs/draws.md.
create table festival_draw_entries (
  club_id    text not null,
  draw_id    text not null,
  ref        text collate "C" not null,
  member_id  text not null,
  chances    bigint not null check (chances between 1 and 2147483648),
  score      bigint not null,
  primary key (club_id, draw_id, ref)
);

-- The frozen list once more, as the one text the digest hashes (`ref TAB chances LF` per
-- entry, canonical order): the draw and the public page read one value, not a million rows.
create table festival_draw_lists (
  club_id  text not null,
  draw_id  text not null,
  body     text not null,
  primary key (club_id, draw_id)
);
-- Stored out of line but uncompressed: read back whole at the draw, pglz would only slow it.
alter table festival_draw_lists alter column body set storage external;

create table festival_draw_winners (
  club_id      text not null,
  draw_id      text not null,
  festival_id  text not null,
  rank         int not null,
  ref          text collate "C" not null,
  member_id    text not null,
  chances      bigint not null,
  prize        jsonb,
  -- A prize naming a reward is fulfilled through the rewards module (a redemption):
  -- none (nothing to fulfil here) | pending → fulfilled | failed.
  fulfilment   text not null default 'none' check (fulfilment in ('none', 'pending', 'fulfilled', 'failed')),
  redemption_id text,
  fulfilment_detail text,
  created_at   timestamptz not null default now(),
  primary key (club_id, draw_id, rank)
);
create index festival_draw_winners_pending on festival_draw_winners (created_at) where fulfilment = 'pending';
create index festival_draw_winners_member on festival_draw_winners (club_id, festival_id, member_id);

-- Chances bought for one draw: club points staked ("5 points = 1 chance", spent in the same
-- transaction) or draw-ticket rewards redeemed through the rewards module (points = 0 here:
-- the redemption holds what was paid).
create table festival_stakes (
  id           text primary key,
  club_id      text not null,
  festival_id  text not null,
  draw_id      text not null,
  member_id    text not null,
  source       text not null check (source in ('stake', 'reward')),
  reference    text,
  points       bigint not null check (points >= 0),
  chances      bigint not null check (chances > 0),
  entry_id     text,
  created_at   timestamptz not null default now()
);
create index festival_stakes_draw on festival_stakes (club_id, draw_id, member_id);
create index festival_stakes_member on festival_stakes (club_id, festival_id, member_id);

create table festival_top_performers (
  club_id      text not null,
  festival_id  text not null,
  category     text not null,
  rank         int not null,
  member_id    text not null,
  value        bigint not null,
  seq          bigint not null,
  prize        jsonb,
  decided_at   timestamptz not null,
  primary key (club_id, festival_id, category, rank)
);
