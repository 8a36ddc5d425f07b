export { OccasionService, type OccasionReport } from './service.js';
export { occasionRoutes } from './routes.js';
export { OccasionSettingsSchema, type OccasionSettings } from './domain.js';
