-- The earn path's game statement as a PL/pgSQL function, so its plan is cached per
-- connection instead of being planned on every event. Owned by src/modules/gamification
-- (store.ts applyGameBatch calls it).
--
-- Upserts counters, moves streaks (update the existing, insert the new), adds challenge
-- progress; and returns, tagged by kind, what badge criteria need: counters written ('c')
-- and the members' counters in the same periods as read before ('o'), streaks written ('s')
-- and as read before ('t'), challenge progress ('h', with 'done' when it was already
-- complete), badges held ('b'). Rows are written in key order (same lock order everywhere).
create function game_apply_batch(
  p_club text, p_now timestamptz,
  c_member text[], c_type text[], c_key text[], c_events bigint[], c_amount bigint[],
  s_member text[], s_streak text[], s_key text[], s_prev text[],
  h_member text[], h_challenge text[], h_delta bigint[],
  p_members text[], p_keys text[], p_read_badges boolean
) returns table (rk text, rmember text, ra text, rb text, rn1 bigint, rn2 bigint)
language plpgsql as $fn$
begin
  return query
  with c_in as (
    select * from unnest(c_member, c_type, c_key, c_events, c_amount) as x(member_id, event_type, period_key, events, amount)
  ),
  c_up as (
    insert into game_counters as mc (club_id, member_id, period_key, event_type, events, amount_rials)
    select p_club, q.member_id, q.period_key, q.event_type, q.events, q.amount
    from (select * from c_in order by c_in.member_id, c_in.period_key, c_in.event_type) q
    on conflict (club_id, member_id, period_key, event_type)
    do update set events = mc.events + excluded.events, amount_rials = mc.amount_rials + excluded.amount_rials
    returning mc.member_id, mc.event_type, mc.period_key, mc.events, mc.amount_rials
  ),
  s_in as (
    select * from unnest(s_member, s_streak, s_key, s_prev) as x(member_id, streak_id, key, prev)
  ),
  s_upd as (
    update game_member_streaks ms set
      current = n.current, best = greatest(ms.best, n.current), last_key = greatest(ms.last_key, n.key), updated_at = p_now
    from (select s_in.member_id, s_in.streak_id, s_in.key,
                 case when ms2.last_key = s_in.key or s_in.key < ms2.last_key then ms2.current
                      when ms2.last_key = s_in.prev then ms2.current + 1 else 1 end as current
          from s_in join game_member_streaks ms2
            on ms2.club_id = p_club and ms2.member_id = s_in.member_id and ms2.streak_id = s_in.streak_id) n
    -- Only a later period changes a streak: another action on the same day writes nothing.
    where ms.club_id = p_club and ms.member_id = n.member_id and ms.streak_id = n.streak_id and n.key > ms.last_key
    returning ms.member_id, ms.streak_id, ms.current, ms.last_key
  ),
  s_ins as (
    insert into game_member_streaks as gs (club_id, member_id, streak_id, last_key, current, best, updated_at)
    select p_club, s_in.member_id, s_in.streak_id, s_in.key, 1, 1, p_now from s_in
    where not exists (select 1 from game_member_streaks ms
                      where ms.club_id = p_club and ms.member_id = s_in.member_id and ms.streak_id = s_in.streak_id)
    order by s_in.member_id, s_in.streak_id
    on conflict do nothing
    returning gs.member_id, gs.streak_id, gs.current, gs.last_key
  ),
  h_in as (
    select * from unnest(h_member, h_challenge, h_delta) as x(member_id, challenge_id, delta)
  ),
  h_up as (
    insert into game_member_challenges as mch (club_id, member_id, challenge_id, progress, updated_at)
    select p_club, q.member_id, q.challenge_id, q.delta, p_now
    from (select * from h_in order by h_in.member_id, h_in.challenge_id) q
    on conflict (club_id, member_id, challenge_id) do update set progress = mch.progress + excluded.progress, updated_at = excluded.updated_at
    returning mch.member_id, mch.challenge_id, mch.progress, mch.completed_at
  )
  select 'c'::text, c_up.member_id, c_up.event_type, c_up.period_key, c_up.events, c_up.amount_rials from c_up
  union all
  select 'o', gc.member_id, gc.event_type, gc.period_key, gc.events, gc.amount_rials from game_counters gc
    where gc.club_id = p_club and gc.member_id = any(p_members) and gc.period_key = any(p_keys)
  union all select 's', s_upd.member_id, s_upd.streak_id, s_upd.last_key, s_upd.current::bigint, null::bigint from s_upd
  union all select 's', s_ins.member_id, s_ins.streak_id, s_ins.last_key, s_ins.current::bigint, null from s_ins
  union all
  select 't', gs.member_id, gs.streak_id, gs.last_key, gs.current::bigint, null from game_member_streaks gs
    where gs.club_id = p_club and gs.member_id = any(p_members)
  union all
  select 'h', h_up.member_id, h_up.challenge_id, case when h_up.completed_at is null then '' else 'done' end, h_up.progress, null from h_up
  union all
  select 'b', gb.member_id, gb.badge_id, gb.period_key, null, null from game_member_badges gb
    where p_read_badges and gb.club_id = p_club and gb.member_id = any(p_members);
end
$fn$;
