-- A member's invited friends (GET /api/v1/me/referrals, the console's referrals tab) are
-- read by who referred them: without this index that read scans the club's members.
create index if not exists members_referred_by on members (club_id, referred_by, created_at desc) where referred_by is not null;
