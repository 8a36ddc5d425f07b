import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { openEngine, seed } from './seed.js';
import { startServer } from './server.js';
import { closedLoop, purchases } from './load.js';
const dir = mkdtempSync(path.join(os.tmpdir(), 'vafa-exp-'));
const db = await openEngine('pglite', path.join(dir, 'pglite'));
const s = await seed(db, 2000);
await db.close();
const srv = await startServer({ engine: 'pglite', dataDir: dir });
console.log('ready', srv.coldStartMs);
const target = { host: '127.0.0.1', port: srv.port, apiKey: s.apiKey };
for (const c of [1, 1, 8, 32]) {
  const r = await closedLoop({ target, connections: c, durationMs: 4000, make: purchases('x' + c + Math.random(), s.memberIds) });
  console.log(c, r.eventsPerSec, r.latencyMs.p50, r.latencyMs.p99, r.errors, r.errorSamples);
}
await srv.stop();
