export { FestivalService, isoInZone, type Ctx as FestivalCtx, type DrawView, type FestivalView, type LeaderboardView, type ParticipantView, type StakeView } from './service.js';
export { festivalRoutes } from './routes.js';
export { composeFestivalEarn, type FestivalSource } from './earn.js';
export { DrawCreateSchema, FestivalCreateSchema, festivalIdOfUnit, unitOf as festivalUnit, type DrawCreate, type Festival, type FestivalCreate } from './domain.js';
export { verifyDraw, drawWinners, commitment, entriesDigest, DRAW_FORMAT, type PublishedDraw, type DrawVerification } from './draw.js';
export { festivalRefundHook, type FestivalRefundDeps } from './refund.js';
