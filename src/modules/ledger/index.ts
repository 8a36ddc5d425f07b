export { LedgerService, type Credit, type MemberGuard, type Ctx as LedgerCtx, type BalanceView, type HoldView } from './service.js';
export { ledgerRoutes } from './routes.js';
export { verifyLedger, type VerifyReport } from './verify.js';
export { SYSTEM, isUnit, reversalTarget, type Unit, type EntryDraft, type Allocation } from './domain.js';
export { debitMany, type DebitAsk, type DebitLeg, type DebitLegDone, type DebitOutcome } from './many.js';
