import pino from 'pino';
import { sql } from 'kysely';
import { buildServices } from '../src/app.js';
import { openPostgres } from '../src/platform/db.js';
import { migrate } from '../src/platform/migrate.js';
import { makeSecrets } from '../src/platform/crypto.js';
import { ManualClock } from '../src/platform/clock.js';
import { LogSmsChannel } from '../src/platform/sms.js';
import { applyStandings } from '../src/modules/festivals/store.js';
import { createDatabase, dropDatabases } from './pgadmin.js';
import { insertMembers } from './seed.js';

const url = await createDatabase(`vafa_p5micro_${Date.now()}`);
const database = await openPostgres(url, { max: 4 });
try {
  await migrate(database);
  const clock = new ManualClock(new Date('2025-04-05T08:00:00Z'));
  const logger = pino({ level: 'silent' });
  const s = buildServices({ database, secrets: makeSecrets('x'), clock, logger, sms: new LogSmsChannel(logger) });
  const club = (await s.clubs.create({ slug: 'micro', name: { fa: 'm', en: '' } }) as any).value;
  const f = (await s.festivals.create(club, { name: { fa: 'f', en: '' }, window: { from: '1404/01/15', to: '1404/01/31' }, audience: { groups: [], tiers: [] }, enrolment: 'opt_in', indicators: [{ eventType: 'purchase', score: 1, per: 'event', minAmountRials: 0 }], categories: [], staking: null, topPerformers: [] } as any, { actor: 'x' }) as any).value;
  const ids = await insertMembers(database, club.id, 400);
  for (const id of ids.slice(0, 200)) await s.festivals.join(club, id, f.id, { actor: 'x' });
  const db = database.db;
  const time = async (label: string, n: number, fn: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < 20; i++) await fn(i);
    const xs: number[] = [];
    for (let i = 0; i < n; i++) { const t = performance.now(); await fn(i); xs.push(performance.now() - t); }
    xs.sort((a, b) => a - b);
    console.log(label.padEnd(50), 'p50', xs[Math.floor(n / 2)]!.toFixed(2), 'p90', xs[Math.floor(n * 0.9)]!.toFixed(2));
  };
  for (let r = 0; r < 2; r++) {
    await time('select 1', 300, () => sql`select 1`.execute(db));
    await time('tx(select 1)', 300, () => db.transaction().execute((tx) => sql`select 1`.execute(tx)));
    await time('participant lookup', 300, (i) => sql`select member_id from festival_participants where club_id = ${club.id} and festival_id = any(${[f.id]}::text[]) and member_id = any(${[ids[200 + (i % 200)]]}::text[])`.execute(db));
    await time('applyStandings non-participant (tx)', 300, (i) => db.transaction().execute((tx) => applyStandings(tx, club.id, [{ festivalId: f.id, category: 'score', memberId: ids[200 + (i % 200)]!, delta: 3, shard: 1 }])));
    await time('applyStandings participant (tx)', 300, (i) => db.transaction().execute((tx) => applyStandings(tx, club.id, [{ festivalId: f.id, category: 'score', memberId: ids[i % 200]!, delta: 3, shard: 1 }])));
    await time('ingestOne base', 200, (i) => { s.events.setEarn(s.rules.earn); return s.events.ingestOne(club, { eventId: `a${r}-${i}`, type: 'purchase', member: { id: ids[i % 200]! }, amountRials: 500000 }, null); });
    await time('ingestOne festival participant', 200, (i) => { s.events.setEarn(s.festivals.composeEarn(s.rules.earn)); return s.events.ingestOne(club, { eventId: `b${r}-${i}`, type: 'purchase', member: { id: ids[i % 200]! }, amountRials: 500000 }, null); });
    await time('ingestOne festival non-participant', 200, (i) => { s.events.setEarn(s.festivals.composeEarn(s.rules.earn)); return s.events.ingestOne(club, { eventId: `c${r}-${i}`, type: 'purchase', member: { id: ids[200 + (i % 200)]! }, amountRials: 500000 }, null); });
  }
} finally {
  await database.close();
  await dropDatabases();
}
