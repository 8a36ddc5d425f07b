export { MemberService, type Actor } from './service.js';
export { memberRoutes } from './routes.js';
export { MemberCreateSchema, PROFILE_FIELDS, filledProfileFields, type Member, type MemberCreate } from './domain.js';
export type { MemberRef } from './store.js';
export { importMembers, type ImportReport } from './import.js';
