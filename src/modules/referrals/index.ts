export { ReferralService, REFERRAL_TAG, type Candidate, type ReferralView } from './service.js';
export { referralRoutes } from './routes.js';
export { ReferralSettingsSchema, fingerprintOf, type ReferralSettings } from './domain.js';
export { referralRefundHook, type ReferralRefundDeps } from './refund.js';
