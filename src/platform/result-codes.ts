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
  amount_below_minimum: { status: 422, title: 'Amount below minimum', description: 'The amount is below what the operation needs.' },

  // rules (issue 3) — add rule/tier/referral codes below this line

  // rewards (issue 4) — add reward/coupon/redemption codes below this line

  // festivals (issue 5) — add festival/draw/badge codes below this line

  // infrastructure
  internal_error: { status: 500, title: 'Internal error', description: 'A bug or an unavailable dependency; nothing was applied. The log has the request id.' },
  unavailable: { status: 503, title: 'Unavailable', description: 'The service is starting or shutting down.' },
} as const satisfies Record<string, { status: number; title: string; description: string }>;

export type ResultCode = keyof typeof RESULT_CODES;
export const statusOf = (code: ResultCode): number => RESULT_CODES[code].status;
