/** Writes docs/reference/result-codes.md from the one catalogue (src/platform/result-codes.ts). */
import { writeFileSync } from 'node:fs';
import { renderResultCodes } from '../src/platform/result-codes-doc.js';

writeFileSync(new URL('../docs/reference/result-codes.md', import.meta.url), renderResultCodes());
console.log('wrote docs/reference/result-codes.md');
