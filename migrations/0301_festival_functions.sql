-- The earn path's festival statement as a PL/pgSQL function: its plan is cached per
-- connection, where the same statement sent as text is planned on every event (a
-- six-part data-modifying CTE costs ~2 ms to plan — as much as the rest of the work).
-- Owned by src/modules/festivals (store.ts applyStandings calls it).
--
-- Adds the deltas of members who take part in the festival (other rows are ignored), keeps
-- the rank structure (counts per value and per 1024-wide block, 8 shards) in step, and
-- returns the (festival, member) pairs that do take part. Rows are written in key order so
-- concurrent transactions lock rank rows in the same order.
create function festival_apply_standings(
  p_club text, p_festival text[], p_category text[], p_member text[], p_delta bigint[], p_shard int[]
) returns table (taking_festival text, taking_member text)
language plpgsql as $fn$
begin
  return query
  with d as (
    select x.f as festival_id, x.c as category, x.m as member_id, sum(x.v)::bigint as delta, min(x.s) as shard
    from unnest(p_festival, p_category, p_member, p_delta, p_shard) as x(f, c, m, v, s)
    group by x.f, x.c, x.m
  ),
  p as (
    select d.* from d
    where exists (select 1 from festival_participants fp
                  where fp.club_id = p_club and fp.festival_id = d.festival_id and fp.member_id = d.member_id)
  ),
  up as (
    insert into festival_standings as s (club_id, festival_id, category, member_id, value, seq)
    select p_club, q.festival_id, q.category, q.member_id, q.delta, nextval('festival_standing_seq')
    from (select * from p where p.delta > 0 order by p.festival_id, p.category, p.member_id) q
    on conflict (club_id, festival_id, category, member_id) do update set value = s.value + excluded.value, seq = excluded.seq
    returning s.festival_id, s.category, s.member_id, s.value
  ),
  moves as (
    select up.festival_id, up.category, up.value, p.shard, 1 as n
    from up join p on p.festival_id = up.festival_id and p.category = up.category and p.member_id = up.member_id
    union all
    select up.festival_id, up.category, up.value - p.delta, p.shard, -1
    from up join p on p.festival_id = up.festival_id and p.category = up.category and p.member_id = up.member_id
    where up.value - p.delta > 0
  ),
  counts as (
    insert into festival_rank_counts as rc (club_id, festival_id, category, value, shard, members)
    select p_club, q.festival_id, q.category, q.value, q.shard, q.n from (
      select m.festival_id, m.category, m.value, m.shard, sum(m.n)::bigint as n from moves m
      group by m.festival_id, m.category, m.value, m.shard having sum(m.n) <> 0
      order by m.festival_id, m.category, m.value, m.shard) q
    on conflict (club_id, festival_id, category, value, shard) do update set members = rc.members + excluded.members
    returning 1
  ),
  blocks as (
    insert into festival_rank_blocks as rb (club_id, festival_id, category, block, shard, members)
    select p_club, q.festival_id, q.category, q.block, q.shard, q.n from (
      select m.festival_id, m.category, m.value / 1024 as block, m.shard, sum(m.n)::bigint as n from moves m
      group by m.festival_id, m.category, m.value / 1024, m.shard having sum(m.n) <> 0
      order by 1, 2, 3, 4) q
    on conflict (club_id, festival_id, category, block, shard) do update set members = rb.members + excluded.members
    returning 1
  )
  select distinct p.festival_id, p.member_id from p;
end
$fn$;
