import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RESULT_CODES } from './result-codes.js';
import { renderResultCodes } from './result-codes-doc.js';

describe('result code catalogue', () => {
  it('docs/reference/result-codes.md is generated from the catalogue (run npm run docs:codes)', () => {
    expect(readFileSync(new URL('../../docs/reference/result-codes.md', import.meta.url), 'utf8')).toBe(renderResultCodes());
  });
  it('codes are snake_case and statuses are HTTP statuses', () => {
    for (const [code, c] of Object.entries(RESULT_CODES)) {
      expect(code).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(c.status).toBeGreaterThanOrEqual(200);
      expect(c.status).toBeLessThan(600);
    }
  });
});
