export { AnalyticsService, type Overview } from './service.js';
export { analyticsRoutes } from './routes.js';
