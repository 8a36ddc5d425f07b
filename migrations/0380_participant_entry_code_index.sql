-- The entry code's uniqueness (per club and festival) is kept by an index that leads with the
-- code. As (club_id, festival_id, entry_code) it shared its first two columns with the primary
-- key, and while the table had no statistics yet (a new festival, before autovacuum's first
-- ANALYZE) the planner costed both alike for the earn path's participant probe and could take
-- this one: every probe then filtered the festival's participants one by one (0.5 ms at 1,000
-- participants, growing with the festival). Led by the code it serves look-ups by code and
-- nothing else.
alter table festival_participants drop constraint if exists festival_participants_club_id_festival_id_entry_code_key;
create unique index if not exists festival_participants_entry_code on festival_participants (entry_code, club_id, festival_id);
