/** club, apikey, operator, members, ledger and demo commands. */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { Transform } from 'node:stream';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { importMembers, verifyLedger } from '../../app-exports.js';
import pino from 'pino';
import { seedDemo, SeedClock } from '../../demo.js';
import { buildServices } from '../../app.js';
import { LogSmsChannel } from '../../platform/sms.js';
import { CliError, clubIdOf, print, type CliContext } from '../context.js';

type Ctx = () => Promise<CliContext>;

export function register(program: Command, ctx: Ctx) {
  const club = program.command('club').description('clubs (tenants)');
  club
    .command('create')
    .description('create a club')
    .requiredOption('--slug <slug>', 'short name used at sign-in, e.g. "mybank"')
    .requiredOption('--name <fa>', 'Persian name')
    .option('--name-en <en>', 'English name', '')
    .option('--time-zone <tz>', 'IANA time zone', 'Asia/Tehran')
    .option('--currency-display <rial|toman>', 'how amounts are shown', 'rial')
    .option('--point-value <rials>', 'rial value of one point', '1000')
    .option('--expiry-months <n>', 'Jalali months until points expire (0 = never)', '12')
    .option('--pending-days <n>', 'days purchase points stay pending', '14')
    .option('--earn <points/rials>', 'base earning rate, e.g. 1/10000', '1/10000')
    .option('--allow-transfers', 'members may transfer points', false)
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const [points, perRials] = String(o.earn).split('/').map(Number);
      const c = await ctx();
      const r = await c.services.clubs.create(
        {
          slug: o.slug, name: { fa: o.name, en: o.nameEn }, timeZone: o.timeZone, currencyDisplay: o.currencyDisplay,
          pointValueRials: Number(o.pointValue), expiryMonths: Number(o.expiryMonths), pendingDays: Number(o.pendingDays),
          earnRate: { points, perRials }, allowTransfers: Boolean(o.allowTransfers),
        },
        'cli',
      );
      if (!r.ok) throw new CliError(`${r.code}: ${r.detail ?? ''}`);
      print(o.json, r.value, () => `created club ${r.value.slug} (${r.value.id})`);
    });

  program
    .command('apikey')
    .description('API keys')
    .command('create')
    .description('create an API key for a system (shown once)')
    .requiredOption('--club <slug>', 'club slug or id')
    .requiredOption('--name <name>', 'what uses it, e.g. "POS branch 1"')
    .option('--role <role>', 'integration | pos | partner | merchant | dealer', 'integration')
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const c = await ctx();
      const roles = ['integration', 'pos', 'partner', 'merchant', 'dealer'];
      if (!roles.includes(o.role)) throw new CliError(`--role must be one of ${roles.join(', ')}`, 2);
      const k = await c.services.access.createApiKey(await clubIdOf(c, o.club), { name: o.name, role: o.role }, 'cli');
      print(o.json, k, () => `API key (shown once, keep it safe):\n${k.key}`);
    });

  program
    .command('operator')
    .description('operator accounts')
    .command('create')
    .description('create an operator (the password is read from --password or VAFA_OPERATOR_PASSWORD)')
    .requiredOption('--club <slug>', 'club slug or id')
    .requiredOption('--username <username>')
    .option('--name <name>', 'display name', '')
    .option('--role <role>', 'owner | manager | analyst | support', 'manager')
    .option('--password <password>', 'at least 10 characters')
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const password = o.password ?? process.env.VAFA_OPERATOR_PASSWORD;
      if (!password || password.length < 10) throw new CliError('give a password of at least 10 characters (--password or VAFA_OPERATOR_PASSWORD)', 2);
      if (!['owner', 'manager', 'analyst', 'support'].includes(o.role)) throw new CliError('--role must be owner, manager, analyst or support', 2);
      const c = await ctx();
      const r = await c.services.access.createOperator(await clubIdOf(c, o.club), { username: o.username, name: o.name, role: o.role, password }, 'cli');
      if (!r.ok) throw new CliError(`${r.code}: ${r.detail ?? ''}`);
      print(o.json, r.value, () => `created operator ${r.value.username} (${r.value.role})`);
    });

  program
    .command('members')
    .description('members')
    .command('import <file>')
    .description('import members from a CSV file (header row: mobile, national_code, customer_no, first_name, last_name, birth_date, city, gender, groups, consent_sms …; Persian headers work too)')
    .requiredOption('--club <slug>', 'club slug or id')
    .option('--errors <file>', 'also write the rejected rows (line, reason) to this CSV')
    .option('--json', 'machine-readable output')
    .action(async (file: string, o) => {
      if (!existsSync(file)) throw new CliError(`no file ${file}`, 2);
      const c = await ctx();
      const clubId = await clubIdOf(c, o.club);
      const total = statSync(file).size;
      let read = 0;
      const bar = process.stderr.isTTY && !o.json ? new cliProgress.SingleBar({ format: 'importing [{bar}] {percentage}% | {rows} rows, {imported} imported, {failed} rejected' }, cliProgress.Presets.shades_classic) : null;
      bar?.start(total, 0, { rows: 0, imported: 0, failed: 0 });
      const counter = new Transform({
        transform(chunk, _enc, cb) {
          read += chunk.length;
          cb(null, chunk);
        },
      });
      const report = await importMembers(c.database.db, c.secrets, clubId, createReadStream(file).pipe(counter), {
        actor: 'cli',
        onProgress: (r) => {
          bar?.update(read, { rows: r.rows, imported: r.imported, failed: r.failed });
          if (!bar && !o.json) process.stderr.write(`\r${r.rows} rows, ${r.imported} imported, ${r.failed} rejected`);
        },
      });
      bar?.update(total, { rows: report.rows, imported: report.imported, failed: report.failed });
      bar?.stop();
      if (o.errors) {
        const { writeFileSync } = await import('node:fs');
        writeFileSync(o.errors, `line,reason\n${report.errors.map((e) => `${e.line},"${e.reason.replace(/"/g, '""')}"`).join('\n')}\n`);
      }
      print(o.json, report, () =>
        [`\n${report.rows} rows: ${report.imported} imported, ${report.failed} rejected`, ...report.errors.slice(0, 20).map((e) => `  line ${e.line}: ${e.reason}`), report.errors.length > 20 ? `  … ${report.errors.length - 20} more${o.errors ? ` in ${o.errors}` : ' (use --errors file.csv)'}` : ''].filter(Boolean).join('\n'),
      );
      if (report.failed > 0 && report.imported === 0) process.exitCode = 1;
    });

  program
    .command('ledger')
    .description('the points ledger')
    .command('verify')
    .description('recompute every balance from journal lines and check all invariants; exits 1 on any difference')
    .option('--club <slug>', 'only this club')
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const c = await ctx();
      const report = await verifyLedger(c.database.db, o.club ? await clubIdOf(c, o.club) : undefined);
      print(o.json, report, () =>
        report.ok
          ? `ledger OK: ${report.checked.entries} entries, ${report.checked.lines} lines, ${report.checked.balances} balances, ${report.checked.lots} lots`
          : `LEDGER BROKEN: ${report.problems.length} problem(s)\n${report.problems.map((p) => `  ${p.check}: ${JSON.stringify(p.detail)}`).join('\n')}`,
      );
      if (!report.ok) process.exitCode = 1;
    });

  program
    .command('demo')
    .description('demo data')
    .command('seed')
    .description('create a demo club with members and purchases')
    .option('--slug <slug>', 'club slug', 'demo')
    .option('--members <n>', 'how many members', '300')
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const c = await ctx();
      if (await c.services.clubs.bySlug(o.slug)) throw new CliError(`club "${o.slug}" exists`);
      // As on the first `npm start`: services on a clock the seed moves back in time, so the
      // ~90 days of history are dated over those days (charts, expiry, tiers look real).
      const clock = new SeedClock();
      const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
      const services = buildServices({ database: c.database, secrets: c.secrets, clock, logger, sms: new LogSmsChannel(logger) });
      const creds = await seedDemo(services, { slug: o.slug, members: Number(o.members), now: new Date(), clock });
      print(o.json, creds, () => `demo club "${creds.club}": owner ${creds.owner.username} / ${creds.owner.password}\nAPI key: ${creds.apiKey}`);
    });
}
