export { MemberService, type Actor } from './service.js';
export { memberRoutes } from './routes.js';
export { MemberCreateSchema, PROFILE_FIELDS, filledProfileFields, type Member, type MemberCreate } from './domain.js';
export { readFacts as readMemberFacts, type MemberRef, type MemberFacts } from './store.js';
export { importMembers, type ImportReport } from './import.js';
export { anniversaryCandidates, birthdayCandidates, memberContact, membersWithTier, profileCandidates, type OccasionCandidate, type ProfileRow } from './reads.js';
