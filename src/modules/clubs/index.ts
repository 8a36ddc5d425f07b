export { ClubService } from './service.js';
export { clubRoutes } from './routes.js';
export { basePoints, ClubCreateSchema, type Club, type ClubCreate, type ClubSettings } from './domain.js';
