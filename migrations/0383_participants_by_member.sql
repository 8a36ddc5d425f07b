-- The festivals a member takes part in, read with the member on the earn path (a column of
-- the member look-up: festivals/service.ts adds it with members.addFact) and by the member
-- app's festival list. Without it both filtered the club's participants one by one.
create index if not exists festival_participants_member on festival_participants (club_id, member_id);
