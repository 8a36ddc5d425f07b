export { EventService, baseRateEarn, type EarnFn, type Later, type EarnInput, type Award, type ValidateFn, type RefundHook, type RefundContext } from './service.js';
export { eventRoutes } from './routes.js';
export { EventInputSchema, MAX_BATCH, type EventInput, type EventOutcome } from './domain.js';
