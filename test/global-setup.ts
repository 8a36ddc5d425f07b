/**
 * Test-run setup: a throw-away PostgreSQL database per run (created here, dropped at the
 * end) with the migrations applied once. When the server at 127.0.0.1:5432 does not answer:
 * with CI=true the run fails; elsewhere the PostgreSQL half is skipped with a loud message.
 */
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openPglite, openPostgres } from '../src/platform/db.js';
import { migrate } from '../src/platform/migrate.js';

const ADMIN_URL = process.env.VAFA_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string | null;
    pgliteSnapshot: string;
  }
}

export default async function setup(project: TestProject) {
  // A migrated PGlite, dumped once: each test file loads it in ~1 s instead of ~6 s of initdb.
  const snapshotFile = path.join(os.tmpdir(), `vafa-pglite-${process.pid}.tar`);
  const pgl = await openPglite();
  await migrate(pgl);
  writeFileSync(snapshotFile, Buffer.from(await (await pgl.snapshot!()).arrayBuffer()));
  await pgl.close();
  project.provide('pgliteSnapshot', snapshotFile);

  const name = `vafa_test_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (e) {
    const msg = `PostgreSQL at ${ADMIN_URL} does not answer (${(e as Error).message}).`;
    if (process.env.CI === 'true') throw new Error(`${msg} CI=true: the PostgreSQL half of the suite is required.`);
    console.warn(`\n${'!'.repeat(78)}\n!! ${msg}\n!! SKIPPING every PostgreSQL test. Only PGlite is tested in this run.\n${'!'.repeat(78)}\n`);
    project.provide('pgUrl', null);
    return () => rmSync(snapshotFile, { force: true });
  }
  await admin.query(`create database ${name}`);
  const url = ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  const database = await openPostgres(url, { max: 2 });
  await migrate(database);
  await database.close();
  project.provide('pgUrl', url);
  return async () => {
    rmSync(snapshotFile, { force: true });
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  };
}
