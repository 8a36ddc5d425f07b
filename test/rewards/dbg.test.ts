import { it, expect } from 'vitest';
import { testVafa, ManualClock } from '../engines.js';
import { makeClub, makeMember } from '../fixtures.js';
import { fund } from './helpers.js';
it('dbg', async () => {
  const clock = new ManualClock(new Date('2025-04-10T08:00:00Z'));
  const v = await testVafa('pglite', { clock });
  const c = await makeClub(v);
  const m = await makeMember(v, c.clubId, 5);
  await fund(v, c.clubId, m, 1000);
  console.log(await v.services.ledger.balance(c.clubId, m));
  console.log(await v.database.db.selectFrom('member_balances').selectAll().where('member_id','=',m).execute());
  const r = await v.services.ledger.hold(c.clubId, m, { points: 200 }, { actor: 't' });
  console.log(r);
});
