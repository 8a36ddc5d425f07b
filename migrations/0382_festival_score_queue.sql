-- Festival score is queued on the earn path and applied behind it (docs/ARCHITECTURE.md,
-- "Festival score applied behind the earn path"). The earn transaction writes one row per
-- (event, festival) of a member who takes part; the festival applier (the worker, or any
-- read of standings, ranks, draws or top performers, which applies first) moves rows in
-- batches into the ledger (a `festival:<id>` entry per event, as before) and the standings
-- and rank structure, deleting them in the same transaction. A refund applies its member's
-- queued rows first. Owned by src/modules/festivals.
create table festival_score_queue (
  club_id      text not null,
  id           bigint generated always as identity,
  festival_id  text not null,
  member_id    text not null,
  event_id     text not null,            -- events.id
  occurred_at  timestamptz not null,
  score        bigint not null check (score >= 0),
  -- {"categories": {"purchases": 1}, "awards": [{"rule": …, "points": …, "memo": …}]}
  detail       jsonb,
  primary key (club_id, id)
);

-- The earn path's call: probes the (festival, member) pairs by the participants' primary
-- key (LATERAL … LIMIT 1: never a scan of the festival, whatever the plan), queues the rows
-- of those who take part, and returns those pairs. Its plan is made once per connection
-- (generic), as 0381's. Rows come in (event, festival) order.
create function festival_enqueue_scores(
  p_club text, p_festival text[], p_member text[], p_event text[], p_at timestamptz[], p_score bigint[], p_detail jsonb[]
) returns table (taking_festival text, taking_member text)
language plpgsql
set plan_cache_mode = force_generic_plan
as $fn$
begin
  return query
  with d as (
    select x.f, x.m, x.e, x.a, x.s, x.j, x.o
    from unnest(p_festival, p_member, p_event, p_at, p_score, p_detail) with ordinality as x(f, m, e, a, s, j, o)
  ),
  p as (
    select k.f, k.m
    from (select distinct d.f, d.m from d) k
    cross join lateral (
      select 1 from festival_participants q
      where q.club_id = p_club and q.festival_id = k.f and q.member_id = k.m
      limit 1
    ) fp
  ),
  queued as (
    insert into festival_score_queue (club_id, festival_id, member_id, event_id, occurred_at, score, detail)
    select p_club, d.f, d.m, d.e, d.a, d.s, d.j
    from d join p on p.f = d.f and p.m = d.m
    order by d.o
    returning 1
  )
  select p.f, p.m from p, (select count(*) from queued) as done;
end
$fn$;
