-- Rewards (issue 4): catalogue, redemptions, coupon codes, partners, POS burns, and the
-- platform's signed-webhook endpoints. Every row carries club_id.

-- A club's signed webhook endpoints, one per purpose (e.g. 'rewards.fulfilment').
-- The secret is kept encrypted (the sender must sign with it, so it cannot be a hash).
create table webhook_endpoints (
  club_id     text not null references clubs (id),
  purpose     text not null,
  url         text not null,
  secret_enc  text not null,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  primary key (club_id, purpose)
);

-- Per-club settings of the rewards module (one row, created on first change).
create table reward_settings (
  club_id                text primary key references clubs (id),
  pos_max_percent        int not null default 50 check (pos_max_percent between 0 and 100),
  pos_min_points         bigint not null default 0 check (pos_min_points >= 0),
  pos_point_value_rials  bigint check (pos_point_value_rials > 0),
  return_keeps_expiry    boolean not null default true,
  updated_at             timestamptz not null default now()
);

create table partners (
  id          text primary key,
  club_id     text not null references clubs (id),
  name_fa     text not null,
  name_en     text not null default '',
  contact     text,
  created_at  timestamptz not null default now(),
  unique (club_id, name_fa)
);

-- stock: null = unlimited. Decremented by a conditional UPDATE (stock > 0) in the
-- redemption's transaction; the CHECK is the last guard against overselling.
create table rewards (
  id               text primary key,
  club_id          text not null references clubs (id),
  type             text not null check (type in ('coupon', 'product', 'digital', 'partner_voucher', 'wallet_credit', 'donation', 'draw_ticket', 'bundle')),
  title_fa         text not null,
  title_en         text not null default '',
  description_fa   text not null default '',
  description_en   text not null default '',
  image_url        text,
  cost_points      bigint not null check (cost_points >= 0),
  copay_rials      bigint not null default 0 check (copay_rials >= 0),
  stock            bigint check (stock >= 0),
  limit_count      int check (limit_count > 0),
  limit_period     text check (limit_period in ('day', 'week', 'month', 'year', 'ever')),
  audience_tiers   text[] not null default '{}',
  audience_groups  text[] not null default '{}',
  available_from   timestamptz,
  available_until  timestamptz,
  config           jsonb not null default '{}',
  status           text not null default 'active' check (status in ('active', 'archived')),
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  archived_at      timestamptz
);
create index rewards_club on rewards (club_id, status, created_at);

-- One row per redemption. nth = how many times the member had already taken this reward
-- (for the fatigue curve). status: pending (points held) → fulfilled (captured) |
-- failed (released) | cancelled (released, or returned as new lots).
create table redemptions (
  id            text primary key,
  club_id       text not null,
  member_id     text not null,
  reward_id     text not null,
  bundle_id     text,
  type          text not null,
  status        text not null check (status in ('pending', 'fulfilled', 'failed', 'cancelled')),
  fulfilment    text check (fulfilment in ('ordered', 'shipped', 'delivered', 'cancelled')),
  points        bigint not null check (points >= 0),
  copay_rials   bigint not null default 0,
  quantity      int not null default 1 check (quantity > 0),
  nth           int not null default 0,
  hold_id       text,
  copay_hold_id text,
  code          text,
  code_expires_at timestamptz,
  delivery      jsonb,
  detail        jsonb not null default '{}',
  actor         text,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now()
);
create index redemptions_member on redemptions (club_id, member_id, reward_id, created_at);
create index redemptions_reward on redemptions (club_id, reward_id, status);
create index redemptions_club on redemptions (club_id, created_at desc, id);

-- Coupon and partner-voucher codes: uploaded to a pool (status available) or generated from
-- a pattern at redemption. Each code is given once (claimed FOR UPDATE SKIP LOCKED) and
-- consumed once at the till.
create table coupon_codes (
  id             text primary key,
  club_id        text not null,
  reward_id      text not null,
  code           text not null,
  status         text not null check (status in ('available', 'assigned', 'used', 'void')),
  member_id      text,
  redemption_id  text,
  expires_at     timestamptz,
  assigned_at    timestamptz,
  used_at        timestamptz,
  used_by        text,
  created_at     timestamptz not null default now(),
  unique (club_id, code)
);
create index coupon_codes_pool on coupon_codes (club_id, reward_id, id) where status = 'available';

-- Points spent at the till. Linked to the caller's purchase eventId so a refund of that
-- purchase reverses the burn (points back as lots with their original expiry).
create table pos_burns (
  id                 text primary key,
  club_id            text not null,
  member_id          text not null,
  purchase_event_id  text,
  basket_rials       bigint not null check (basket_rials >= 0),
  points             bigint not null check (points > 0),
  discount_rials     bigint not null check (discount_rials >= 0),
  reversed_points    bigint not null default 0 check (reversed_points >= 0 and reversed_points <= points),
  allocations        jsonb not null,
  entry_id           text not null,
  status             text not null check (status in ('burned', 'partially_reversed', 'reversed')),
  actor              text,
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now()
);
create index pos_burns_purchase on pos_burns (club_id, purchase_event_id) where purchase_event_id is not null;
create index pos_burns_member on pos_burns (club_id, member_id, created_at);
