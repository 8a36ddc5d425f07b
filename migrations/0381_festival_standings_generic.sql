-- The earn path's festival work as one call with a plan made once per connection
-- (store.ts applyStandings). Replaces 0301's.
--
-- Sent as text, this six-part data-modifying CTE costs 0.4–0.7 ms to plan on every event,
-- more than it takes to run; split into three statements it costs two more round trips.
-- Here its plan is generic and cached (`set plan_cache_mode = force_generic_plan` on the
-- function), which is safe because nothing in it depends on the arrays' sizes: the only
-- table it reads, festival_participants, is probed per (festival, member) by the whole
-- primary key in a LATERAL … LIMIT 1 subquery, which the planner cannot turn into a hash
-- join over a scan of the festival (what 0301's generic plan did: ~0.3 ms at 1,000
-- participants, growing with the festival). The rest joins the call's own rows.
--
-- The caller passes one row per (festival, category, member), in that key order, with the
-- position of the row's latest event (p_order): the standings' seq, which puts the member
-- who reached a value first ahead of others at that value, is handed out in that order. Rows
-- are written in key order and rank rows in (festival, category, value|block, shard) order, in
-- byte order as JavaScript compares the ids (refund.ts sorts the same way), so concurrent
-- transactions lock them in the same order. Returns the (festival, member) pairs that take
-- part; deltas of members who do not are ignored.
drop function if exists festival_apply_standings(text, text[], text[], text[], bigint[], int[]);
create function festival_apply_standings(
  p_club text, p_festival text[], p_category text[], p_member text[], p_delta bigint[], p_shard int[], p_order bigint[]
) returns table (taking_festival text, taking_member text)
language plpgsql
set plan_cache_mode = force_generic_plan
as $fn$
begin
  return query
  with d as (
    select x.f, x.c, x.m, x.v, x.s, x.o, nextval('festival_standing_seq') as sq
    from (select * from unnest(p_festival, p_category, p_member, p_delta, p_shard, p_order) with ordinality as u(f, c, m, v, s, t, o)
          order by u.t, u.o) x
  ),
  p as (
    select k.f, k.m, fp.ref
    from (select distinct d.f, d.m from d) k
    cross join lateral (
      select q.mobile_masked || '#' || q.entry_code as ref from festival_participants q
      where q.club_id = p_club and q.festival_id = k.f and q.member_id = k.m
      limit 1
    ) fp
  ),
  up as (
    insert into festival_standings as st (club_id, festival_id, category, member_id, value, seq, ref)
    select p_club, d.f, d.c, d.m, d.v, d.sq, p.ref
    from d join p on p.f = d.f and p.m = d.m
    where d.v > 0
    order by d.o
    on conflict (club_id, festival_id, category, member_id) do update set value = st.value + excluded.value, seq = excluded.seq
    returning st.festival_id, st.category, st.member_id, st.value
  ),
  moves as (
    select d.f, d.c, x.value, d.s, x.n
    from up join d on d.f = up.festival_id and d.c = up.category and d.m = up.member_id
    cross join lateral (values (up.value, 1), (up.value - d.v, -1)) as x(value, n)
    where x.value > 0
  ),
  counted as (
    insert into festival_rank_counts as rc (club_id, festival_id, category, value, shard, members)
    select p_club, t.f, t.c, t.value, t.s, t.n from (
      select m.f, m.c, m.value, m.s, sum(m.n)::bigint as n from moves m
      group by m.f, m.c, m.value, m.s having sum(m.n) <> 0) t
    order by t.f collate "C", t.c collate "C", t.value, t.s
    on conflict (club_id, festival_id, category, value, shard) do update set members = rc.members + excluded.members
    returning 1
  ),
  blocked as (
    insert into festival_rank_blocks as rb (club_id, festival_id, category, block, shard, members)
    select p_club, t.f, t.c, t.block, t.s, t.n
    from (select count(*) from counted) as done,
         (select m.f, m.c, m.value / 128 as block, m.s, sum(m.n)::bigint as n from moves m
          group by m.f, m.c, m.value / 128, m.s having sum(m.n) <> 0) t
    order by t.f collate "C", t.c collate "C", t.block, t.s
    on conflict (club_id, festival_id, category, block, shard) do update set members = rb.members + excluded.members
    returning 1
  )
  select p.f, p.m from p;
end
$fn$;
