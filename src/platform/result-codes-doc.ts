import { RESULT_CODES } from './result-codes.js';

/** The result-code reference, generated so the document cannot drift from the code. */
export function renderResultCodes(): string {
  const rows = Object.entries(RESULT_CODES)
    .map(([code, c]) => `| \`${code}\` | ${c.status} | ${c.title} | ${c.description.replace(/\|/g, '\\|')} |`)
    .join('\n');
  return `# Result codes

Every error answer is RFC 9457 \`application/problem+json\`:

\`\`\`json
{ "type": "urn:vafa:problem:insufficient_points", "title": "Insufficient points", "status": 422,
  "code": "insufficient_points", "detail": "asked 500, available 120", "requestId": "…", "instance": "/api/v1/members/mbr_…/spend" }
\`\`\`

\`code\` is stable: integrations branch on it, never on \`title\` or \`detail\`. Validation
failures add \`errors: [{ path, message }]\`. Batch calls answer 200 with one outcome per event
(\`status\`: created | exists | failed, and \`code\` when failed).

This table is generated from \`src/platform/result-codes.ts\` by \`npm run docs:codes\`; a test
fails when it is out of date.

| code | HTTP | title | meaning |
|---|---|---|---|
${rows}
`;
}
