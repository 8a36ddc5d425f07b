-- Issue 4 review: a product order's points are held until it ships or is cancelled. Holds
-- made before this fix were set to expire 90 days after the order, and the ledger's
-- hold-expiry job would have released them while the order still waited to ship. Pending
-- orders' holds (points and rial co-payment) now last as long as new ones: a hundred years.
update holds h set expires_at = h.created_at + interval '100 years'
from redemptions r
where r.club_id = h.club_id
  and (r.hold_id = h.id or r.copay_hold_id = h.id)
  and r.type = 'product' and r.status = 'pending' and r.fulfilment = 'ordered'
  and h.status = 'pending';
