export { TierService, type ActivityPort, type ReviewReport } from './service.js';
export { tierRoutes } from './routes.js';
export { TierProgramSchema, codeAt, multiplierOf, qualifiedRank, rankOf, thresholdFor, windowStart, type TierProgram } from './domain.js';
export type { TierChange } from './store.js';
