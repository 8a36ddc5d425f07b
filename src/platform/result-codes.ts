/**
 * The one catalogue of result codes and their HTTP status. Mapped to HTTP in exactly one
 * place (platform/http/problem.ts). docs/reference/result-codes.md is generated from this
 * table by `npm run docs:codes` and a test checks it is up to date.
 */
export const RESULT_CODES = {
  // success-like
  created: { status: 201, title: 'Created', description: 'The request was applied.' },
  exists: { status: 200, title: 'Already applied', description: 'Same idempotency key / event id with the same body: the first outcome is returned.' },

  // request shape
  validation_failed: { status: 400, title: 'Validation failed', description: 'The request body, query or path does not match its schema; `errors` lists each field.' },
  malformed_json: { status: 400, title: 'Malformed JSON', description: 'The body is not valid JSON.' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type', description: 'Send application/json.' },
  payload_too_large: { status: 413, title: 'Payload too large', description: 'The body is larger than the limit.' },
  batch_too_large: { status: 413, title: 'Batch too large', description: 'A batch takes at most 1000 events.' },
  idempotency_key_required: { status: 400, title: 'Idempotency-Key required', description: 'Mutating integration calls need an Idempotency-Key header.' },
  exists_with_different_body: { status: 409, title: 'Idempotency key reused with a different body', description: 'The same Idempotency-Key (or event id) was used before with another request body.' },
  invalid_mobile: { status: 422, title: 'Invalid mobile number', description: 'Not an Iranian mobile number (09xxxxxxxxx, +989…, 989…, 00989…).' },
  invalid_national_code: { status: 422, title: 'Invalid national code', description: 'A national code has 10 digits and a valid check digit.' },
  invalid_date: { status: 422, title: 'Invalid date', description: 'Not a valid Jalali (1403/12/30) or ISO (2025-03-20) date.' },

  // access
  unauthenticated: { status: 401, title: 'Unauthenticated', description: 'No valid API key or session token.' },
  forbidden: { status: 403, title: 'Forbidden', description: 'Your role may not do this.' },
  invalid_credentials: { status: 401, title: 'Invalid credentials', description: 'Wrong club, username or password.' },
  otp_invalid: { status: 401, title: 'Invalid one-time code', description: 'The code is wrong, used or expired.' },
  otp_rate_limited: { status: 429, title: 'Too many attempts', description: 'Too many code requests or wrong codes; wait and try again.' },
  rate_limited: { status: 429, title: 'Too many requests', description: 'Slow down.' },

  // resources
  not_found: { status: 404, title: 'Not found', description: 'No such route or resource in your club.' },
  club_not_found: { status: 404, title: 'Club not found', description: 'No club with that id or slug.' },
  member_not_found: { status: 404, title: 'Member not found', description: 'No member in your club matches.' },
  hold_not_found: { status: 404, title: 'Hold not found', description: 'No hold in your club with that id.' },
  event_not_found: { status: 404, title: 'Event not found', description: 'The event a refund refers to is not in your club.' },
  member_exists: { status: 409, title: 'Member exists', description: 'A member with that mobile, national code or customer number already exists.' },
  conflict: { status: 409, title: 'Conflict', description: 'The resource already exists.' },
  member_inactive: { status: 422, title: 'Member inactive', description: 'The member is suspended or closed.' },

  // ledger
  insufficient_points: { status: 422, title: 'Insufficient points', description: 'The member has fewer available points than asked.' },
  hold_not_pending: { status: 409, title: 'Hold not pending', description: 'The hold was already captured, released or expired.' },
  transfer_not_allowed: { status: 422, title: 'Transfers not allowed', description: 'This club does not allow point transfers between members.' },
  same_member: { status: 422, title: 'Same member', description: 'A transfer needs two different members.' },
  refund_exceeds_purchase: { status: 422, title: 'Refund exceeds purchase', description: 'The refunds of a purchase add up to more than its amount.' },
  not_a_purchase: { status: 422, title: 'Not a purchase', description: 'A refund must refer to a purchase event.' },
  refund_member_mismatch: { status: 422, title: 'Refund for another member', description: 'The refund names another member than the purchase it refers to.' },
  amount_below_minimum: { status: 422, title: 'Amount below minimum', description: 'The amount is below what the operation needs.' },

  // rules (issue 3) — add rule/tier/referral codes below this line
  rule_not_found: { status: 404, title: 'Rule not found', description: 'No earning rule (or rule version) in your club with that id.' },
  rule_archived: { status: 409, title: 'Rule archived', description: 'An archived rule cannot be edited or resumed; create a new rule.' },
  invalid_rule: { status: 422, title: 'Invalid rule', description: 'The rule definition breaks a rule of its own (e.g. a multiply effect mixed with awards); `field` names the part.' },
  invalid_expression: { status: 422, title: 'Invalid expression', description: 'A CEL condition or amount does not parse or type-check; `field` names it and `position` is the character offset.' },
  expression_too_expensive: { status: 422, title: 'Expression too expensive', description: 'A CEL expression is too long, too deep, nests comprehensions or uses matches(); rejected at save time.' },
  invalid_window: { status: 422, title: 'Invalid window', description: 'The rule window (or backtest period) ends before it starts.' },
  backtest_cancelled: { status: 409, title: 'Backtest cancelled', description: 'The backtest stopped because its caller went away (the stream was closed) before it finished; nothing was written.' },
  unknown_event_type: { status: 422, title: 'Unknown event type', description: 'The event type is neither built in nor declared by the club (POST /api/v1/event-types), or it is archived.' },
  event_attributes_invalid: { status: 422, title: 'Event attributes invalid', description: 'The event’s attributes break its type’s JSON schema; the detail names the field. Nothing was written.' },
  invalid_event_schema: { status: 422, title: 'Invalid event schema', description: 'The JSON Schema given for an event type does not compile.' },
  invalid_tier_program: { status: 422, title: 'Invalid tier programme', description: 'Levels must have unique codes and rising thresholds.' },

  // rewards (issue 4) — add reward/coupon/redemption codes below this line
  reward_not_found: { status: 404, title: 'Reward not found', description: 'No reward in your club with that id.' },
  reward_archived: { status: 422, title: 'Reward archived', description: 'The reward was archived and can no longer be redeemed.' },
  reward_expired: { status: 422, title: 'Reward expired', description: 'The reward\'s availability window has ended.' },
  reward_not_available: { status: 422, title: 'Reward not available yet', description: 'The reward\'s availability window has not started.' },
  reward_out_of_stock: { status: 409, title: 'Out of stock', description: 'No stock (or no codes) left for this reward.' },
  below_tier: { status: 403, title: 'Below the required tier', description: 'The reward is for members of other tiers.' },
  not_in_audience: { status: 403, title: 'Not in the audience', description: 'The reward is for members of other groups.' },
  member_limit_reached: { status: 409, title: 'Member limit reached', description: 'The member has redeemed this reward as often as its limit allows in this (Jalali) period.' },
  not_available_yet: { status: 501, title: 'Not available yet', description: 'Draw tickets are redeemable once festivals are connected.' },
  bundle_choice_required: { status: 422, title: 'Choose one of the options', description: 'A "choose one of" bundle needs `choice`: one of its option reward ids.' },
  delivery_required: { status: 422, title: 'Delivery address required', description: 'A product needs a delivery address.' },
  insufficient_wallet: { status: 422, title: 'Insufficient wallet credit', description: 'The member\'s rial wallet does not cover the co-payment.' },
  redemption_not_found: { status: 404, title: 'Redemption not found', description: 'No redemption in your club with that id.' },
  redemption_invalid_transition: { status: 409, title: 'Invalid fulfilment step', description: 'The redemption cannot move to that state from where it is (ordered → shipped → delivered | cancelled).' },
  coupon_not_found: { status: 404, title: 'Coupon not found', description: 'No issued code in your club matches.' },
  coupon_used: { status: 409, title: 'Coupon already used', description: 'The code was consumed before.' },
  coupon_expired: { status: 422, title: 'Coupon expired', description: 'The code is past its expiry.' },
  partner_not_found: { status: 404, title: 'Partner not found', description: 'No partner in your club with that id.' },
  pos_below_minimum: { status: 422, title: 'Below the minimum points', description: 'The points to burn are below the club\'s minimum at the till.' },
  burn_not_found: { status: 404, title: 'Burn not found', description: 'No points burn in your club with that id.' },

  // festivals (issue 5) — add festival/draw/badge codes below this line
  festival_not_found: { status: 404, title: 'Festival not found', description: 'No festival in your club with that id.' },
  festival_closed: { status: 409, title: 'Festival closed', description: "The festival's window is over (or it was cancelled): no joining, staking or new draws." },
  festival_not_started: { status: 409, title: 'Festival not started', description: 'The festival opens later; staking points for chances starts with the window.' },
  festival_not_over: { status: 409, title: 'Festival not over', description: 'Top performers are decided when the festival window has ended.' },
  not_participant: { status: 422, title: 'Not a participant', description: 'The member has not joined this festival.' },
  staking_disabled: { status: 422, title: 'Staking disabled', description: 'This festival does not convert points to draw chances.' },
  no_open_draw: { status: 422, title: 'No open draw', description: 'No draw of this festival takes staked chances before its cut-off.' },
  category_not_found: { status: 404, title: 'Category not found', description: 'The festival has no performance category with that key.' },
  draw_not_found: { status: 404, title: 'Draw not found', description: 'No draw with that id (in your club).' },
  draw_cutoff_passed: { status: 409, title: 'Draw cut-off passed', description: "The draw's eligibility is frozen (or the cut-off given is not in the future): no new stakes or schedules." },
  draw_not_due: { status: 409, title: 'Draw not due', description: "The draw's cut-off (for the snapshot) or draw time has not come yet." },
  invalid_criteria: { status: 422, title: 'Invalid criteria', description: 'A badge criterion is not a valid CEL condition over counters, amounts and streaks.' },
  badge_not_found: { status: 404, title: 'Badge not found', description: 'No badge, streak or challenge in your club with that id.' },
  festival_cancelled: { status: 409, title: 'Festival cancelled', description: 'The festival was cancelled: it no longer scores, takes members or stakes, changes, or draws.' },
  festival_change_not_allowed: { status: 409, title: 'Change not allowed now', description: "Once a festival starts, its start date and enrolment are fixed and its audience may only widen; once it ends, only its name and description change." },
  festival_window_conflict: { status: 409, title: 'Window conflict', description: 'The new window would start before today or end in the past.' },

  // infrastructure
  internal_error: { status: 500, title: 'Internal error', description: 'A bug or an unavailable dependency; nothing was applied. The log has the request id.' },
  unavailable: { status: 503, title: 'Unavailable', description: 'The service is starting or shutting down.' },
} as const satisfies Record<string, { status: number; title: string; description: string }>;

export type ResultCode = keyof typeof RESULT_CODES;
export const statusOf = (code: ResultCode): number => RESULT_CODES[code].status;
