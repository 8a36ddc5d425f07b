import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines, testVafa, type TestVafa } from '../engines.js';
import { call, makeClub, makeMember, type ClubFixture } from '../fixtures.js';

describeEngines('smoke: earn through the API', (engine) => {
  let v: TestVafa;
  let c: ClubFixture;
  beforeAll(async () => {
    v = await testVafa(engine);
    c = await makeClub(v);
  });
  afterAll(() => v.close());

  it('a purchase earns base-rate points, visible in balance and history', async () => {
    const m = await makeMember(v, c.clubId, 1);
    const r = await call(v, 'POST', '/api/v1/events', c.apiKey, { eventId: 'p1', type: 'purchase', member: { id: m }, amountRials: 1_234_567 }, { 'idempotency-key': 'a' });
    expect(r.status).toBe(201);
    expect(r.json.points).toBe(123);
    const b = await call(v, 'GET', `/api/v1/members/${m}/balance`, c.apiKey);
    expect(b.json.points).toMatchObject({ balance: 123, available: 123, pending: 0 });
  });
});
