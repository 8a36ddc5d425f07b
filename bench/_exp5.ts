import pino from 'pino';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openPglite, openPostgres } from '../src/platform/db.js';
import { seed, BENCH_SECRET } from './seed.js';
import { buildServices } from '../src/app.js';
import { makeSecrets, hashJson } from '../src/platform/crypto.js';
import { systemClock } from '../src/platform/clock.js';
import { LogSmsChannel } from '../src/platform/sms.js';
import { createDatabase, dropDatabases } from './pgadmin.js';
const engine = process.argv[2] ?? 'pglite';
const db = engine === 'pglite' ? await openPglite(path.join(mkdtempSync(path.join(os.tmpdir(), 'vafa-exp-')), 'pglite')) : await openPostgres(await createDatabase('vafa_bench_exp' + Date.now().toString(36)));
const s = await seed(db, 10000);
const logger = pino({ level: 'silent' });
const services = buildServices({ database: db, secrets: makeSecrets(BENCH_SECRET), clock: systemClock, logger, sms: new LogSmsChannel(logger) });
const club = (await services.clubs.get(s.clubId))!;
let seq = 0;
const one = async () => {
  const e = { eventId: `e${seq++}`, type: 'purchase', member: { id: s.memberIds[Math.floor(Math.random() * s.memberIds.length)]! }, amountRials: 500000 };
  const r = await services.events.ingestOne(club, e, { key: e.eventId, requestHash: hashJson(e) });
  if (!r.ok) console.log(r);
};
const opts = (services.events as any).committer.opts;
for (const mi of (process.argv[3] ?? '1,4').split(',').map(Number)) for (const c of [1, 8, 32, 64]) {
  opts.maxInflight = mi;
  const st0 = { ...services.events.groupCommitStats! };
  const t0 = performance.now();
  let n = 0;
  const lat: number[] = [];
  await Promise.all(Array.from({ length: c }, async () => { while (performance.now() - t0 < 3000) { const a = performance.now(); await one(); lat.push(performance.now() - a); n++; } }));
  lat.sort((a, b) => a - b);
  const st = services.events.groupCommitStats!;
  console.log(engine, 'maxInflight', mi, 'c', c, Math.round(n / (performance.now() - t0) * 1000), '/s', 'avg group', ((st.events - st0.events) / (st.batches - st0.batches)).toFixed(1), 'p50', lat[Math.floor(lat.length / 2)]!.toFixed(1), 'p99', lat[Math.floor(lat.length * 0.99)]!.toFixed(1));
}
await db.close();
await dropDatabases();
