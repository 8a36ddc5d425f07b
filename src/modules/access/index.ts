export { AccessService, type MemberByMobile } from './service.js';
export { accessRoutes } from './routes.js';
export { ApiKeyCreateSchema, OperatorCreateSchema, API_KEY_PREFIX } from './domain.js';
