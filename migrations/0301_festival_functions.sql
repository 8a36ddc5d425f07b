-- The earn path's festival statement as a PL/pgSQL function: its plan is cached per
-- connection, where the same statement sent as text is planned on every event (a
-- six-part data-modifying CTE costs ~2 ms to plan — as much as the rest of the work).
-- Owned by src/modules/festivals (store.ts applyStandings calls it).
--
-- Adds the deltas of members who take part in the festival (other rows are ignored), keeps
-- the rank structure (counts per value and per 128-wide block, 8 shards) in step, and
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
    select d.*, fp.mobile_masked || '#' || fp.entry_code as ref from d
    join festival_participants fp on fp.club_id = p_club and fp.festival_id = d.festival_id and fp.member_id = d.member_id
  ),
  up as (
    insert into festival_standings as s (club_id, festival_id, category, member_id, value, seq, ref)
    select p_club, q.festival_id, q.category, q.member_id, q.delta, nextval('festival_standing_seq'), q.ref
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
      select m.festival_id, m.category, m.value / 128 as block, m.shard, sum(m.n)::bigint as n from moves m
      group by m.festival_id, m.category, m.value / 128, m.shard having sum(m.n) <> 0
      order by 1, 2, 3, 4) q
    on conflict (club_id, festival_id, category, block, shard) do update set members = rb.members + excluded.members
    returning 1
  )
  select distinct p.festival_id, p.member_id from p;
end
$fn$;

-- A member's value and competition rank in a category, from the rank structure: members in
-- higher blocks + members at higher values inside the member's block (at most 128 values x
-- 8 shards), and the number of ranked members. A function, so the plan is cached.
create function festival_rank(p_club text, p_festival text, p_category text, p_member text)
returns table (my_value bigint, my_seq bigint, above bigint, ranked bigint)
language plpgsql stable as $fn$
declare
  v bigint;
  q bigint;
begin
  select s.value, s.seq into v, q from festival_standings s
  where s.club_id = p_club and s.festival_id = p_festival and s.category = p_category and s.member_id = p_member;
  my_value := v;
  my_seq := q;
  select coalesce(sum(b.members), 0) into ranked from festival_rank_blocks b
  where b.club_id = p_club and b.festival_id = p_festival and b.category = p_category;
  if v is null or v <= 0 then
    above := null;
  else
    above := coalesce((select sum(b.members) from festival_rank_blocks b
                       where b.club_id = p_club and b.festival_id = p_festival and b.category = p_category and b.block > v / 128), 0)
           + coalesce((select sum(c.members) from festival_rank_counts c
                       where c.club_id = p_club and c.festival_id = p_festival and c.category = p_category
                         and c.value > v and c.value < (v / 128 + 1) * 128), 0);
  end if;
  return next;
end
$fn$;
