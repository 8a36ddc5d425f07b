import pino from 'pino';
import { PGlite } from '@electric-sql/pglite';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openPglite } from '../src/platform/db.js';
import { seed, BENCH_SECRET } from './seed.js';
import { buildServices } from '../src/app.js';
import { makeSecrets, hashJson } from '../src/platform/crypto.js';
import { systemClock } from '../src/platform/clock.js';
import { LogSmsChannel } from '../src/platform/sms.js';
const dir = mkdtempSync(path.join(os.tmpdir(), 'vafa-exp-'));
const db = await openPglite(path.join(dir, 'pglite'));
const s = await seed(db, 2000);
const logger = pino({ level: 'silent' });
const services = buildServices({ database: db, secrets: makeSecrets(BENCH_SECRET), clock: systemClock, logger, sms: new LogSmsChannel(logger) });
const club = (await services.clubs.get(s.clubId))!;
const stats = new Map<string, { n: number; ms: number }>();
const proto = PGlite.prototype as any;
const orig = proto.query;
proto.query = async function (text: string, ...rest: unknown[]) {
  const t0 = performance.now();
  try { return await orig.call(this, text, ...rest); } finally {
    const k = text.replace(/\s+/g, ' ').trim().slice(0, 70);
    const st = stats.get(k) ?? { n: 0, ms: 0 }; st.n++; st.ms += performance.now() - t0; stats.set(k, st);
  }
};
import { startWorker } from '../src/worker.js';
if (process.argv[2] === 'worker') startWorker(db.db, systemClock, services as any, logger);
let seq = 0;
const one = async () => {
  const e = { eventId: `e${seq++}`, type: 'purchase', member: { id: s.memberIds[(seq * 7919) % s.memberIds.length]! }, amountRials: 500000 };
  const r = await services.events.ingestOne(club, e, { key: e.eventId, requestHash: hashJson(e) });
  if (!r.ok) console.log(r);
};
for (const c of [1, 8, 32]) {
  stats.clear();
  const t0 = performance.now();
  let n = 0;
  await Promise.all(Array.from({ length: c }, async () => { while (performance.now() - t0 < 3000) { await one(); n++; } }));
  console.log('c', c, Math.round(n / (performance.now() - t0) * 1000), '/s', services.events.groupCommitStats);
  for (const [k, v] of [...stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14)) console.log('  ', (v.ms / v.n).toFixed(3), v.n, k);
}
