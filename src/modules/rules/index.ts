export { RulesService, type RuleView, type BacktestReport, type EventValidation } from './service.js';
export { ruleRoutes } from './routes.js';
export { RuleInputSchema, ruleVersionTag, BASE_RATE_TAG, BUILT_IN_EVENT_TYPES, type RuleInput } from './input.js';
export { activitySums, lastActiveDays, COUNTERS_FACT, COUNTERS_FACT_SQL, CATALOG_FACT, CATALOG_FACT_SQL } from './store.js';
export { compileRule, evaluate, type CompiledRule, type RuleDefinition } from './domain.js';
export { rulesRefundHook, reopenReferral } from './refund.js';
export { storedEvent, type StoredEvent } from './reads.js';
