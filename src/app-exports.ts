/** What the CLI needs beyond services: module doors it calls directly. */
export { importMembers } from './modules/members/index.js';
export { verifyLedger } from './modules/ledger/index.js';
