/**
 * Custom event types: an operator's JSON schema may carry regular expressions (`pattern`,
 * `patternProperties`), which ajv runs with JS's backtracking engine on attribute text the
 * caller sends. A catastrophic pattern is refused when the type is saved; a safe one works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEngines, testVafa, type TestVafa } from '../engines.js';
import { call, makeClub, makeMember, type ClubFixture } from '../fixtures.js';
import { compileAttributeSchema, unsafePattern } from '../../src/modules/rules/input.js';

describe('unsafePattern', () => {
  it('refuses the classic evil patterns and accepts everyday ones', () => {
    for (const evil of ['(a+)+$', '^(a|aa)+$', '(.*a){30}', '^(\\w+\\s?)*$', '([a-z]+)*@', '(a)\\1', '(?=a)b', '(x|y|xy){2,}z', 'x'.repeat(300)]) {
      expect(unsafePattern(evil), evil).not.toBeNull();
    }
    for (const fine of ['^[A-Z]{2}-\\d{4}$', '^09\\d{9}$', '^(gold|silver|bronze)$', '^[\\p{L} ]{1,40}$', '^(ab|cd){1,3}$', '^[a-z-]{1,30}$']) {
      expect(unsafePattern(fine), fine).toBeNull();
    }
  });

  it('finds patterns anywhere a schema can hold one, and not inside data keywords', () => {
    const deep = compileAttributeSchema({ type: 'object', properties: { a: { type: 'array', items: { type: 'string', pattern: '(a+)+$' } } } });
    expect(deep.ok).toBe(false);
    expect(!deep.ok && deep.detail).toContain('/properties/a/items/pattern');
    const keys = compileAttributeSchema({ type: 'object', patternProperties: { '^(a+)+$': { type: 'string' } } });
    expect(keys.ok).toBe(false);
    const data = compileAttributeSchema({ type: 'object', properties: { rule: { const: { pattern: '(a+)+$' } } } });
    expect(data.ok).toBe(true);
  });
});

describeEngines('event type schemas with regular expressions', (engine) => {
  let v: TestVafa;
  let c: ClubFixture;
  beforeAll(async () => {
    v = await testVafa(engine);
    c = await makeClub(v);
  });
  afterAll(() => v.close());
  const owner = (method: string, url: string, body?: unknown) => call(v, method, url, c.ownerToken, body);

  it('(a+)+$ is refused at save time with invalid_event_schema; nothing is stored', async () => {
    const r = await owner('POST', '/api/v1/event-types', { name: 'coupon_used', schema: { type: 'object', properties: { code: { type: 'string', pattern: '(a+)+$' } } } });
    expect([r.status, r.json.code], r.body).toEqual([422, 'invalid_event_schema']);
    expect(r.json.detail).toContain('(a+)+$');
    const list = await owner('GET', '/api/v1/event-types');
    expect(JSON.stringify(list.json)).not.toContain('coupon_used');
    const keys = await owner('POST', '/api/v1/event-types', { name: 'coupon_used', schema: { type: 'object', patternProperties: { '^(x+x+)+y$': { type: 'string' } } } });
    expect([keys.status, keys.json.code]).toEqual([422, 'invalid_event_schema']);
  });

  it('a safe pattern is kept and validates attributes quickly, even on the evil input', async () => {
    const r = await owner('POST', '/api/v1/event-types', { name: 'coupon_used', schema: { type: 'object', properties: { code: { type: 'string', pattern: '^[A-Z]{2}-\\d{4}$' } }, required: ['code'] } });
    expect(r.status, r.body).toBe(201);
    const update = await owner('PUT', '/api/v1/event-types/coupon_used', { schema: { type: 'object', properties: { code: { type: 'string', pattern: '^(a+)+$' } } } });
    expect([update.status, update.json.code]).toEqual([422, 'invalid_event_schema']);
    const m = await makeMember(v, c.clubId, 601);
    const t0 = performance.now();
    const bad = await call(v, 'POST', '/api/v1/events', c.apiKey, { eventId: 'cp-1', type: 'coupon_used', member: { id: m }, attributes: { code: `${'a'.repeat(40)}!` } }, { 'idempotency-key': 'cp-1a' });
    expect([bad.status, bad.json.code]).toEqual([422, 'event_attributes_invalid']);
    expect(performance.now() - t0).toBeLessThan(2000);
    const good = await call(v, 'POST', '/api/v1/events', c.apiKey, { eventId: 'cp-1', type: 'coupon_used', member: { id: m }, attributes: { code: 'AB-1234' } }, { 'idempotency-key': 'cp-1b' });
    expect(good.status, good.body).toBe(201);
  });
});
