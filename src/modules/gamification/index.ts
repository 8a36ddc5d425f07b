export { GameService, type BadgeView, type ChallengeView, type StreakView } from './service.js';
export { gameRoutes } from './routes.js';
export { BadgeCreateSchema, ChallengeCreateSchema, StreakCreateSchema, type BadgeCreate, type ChallengeCreate, type StreakCreate } from './domain.js';
