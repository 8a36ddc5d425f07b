/** `vafa rewards …` (the catalogue) and `vafa coupons upload` (streamed code pools). */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { Transform } from 'node:stream';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { parse } from 'csv-parse';
import { RewardCreateSchema, REWARD_TYPES } from '../../modules/rewards/index.js';
import { CliError, clubIdOf, print, type CliContext } from '../context.js';

type Ctx = () => Promise<CliContext>;
const BATCH = 5000;

export function register(program: Command, ctx: Ctx) {
  const rewards = program.command('rewards').description('the rewards catalogue');

  rewards
    .command('list')
    .description('list rewards')
    .requiredOption('--club <slug>', 'club slug or id')
    .option('--status <status>', 'active | archived')
    .option('--type <type>', REWARD_TYPES.join(' | '))
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const c = await ctx();
      const items = await c.services.rewards.list(await clubIdOf(c, o.club), { status: o.status, type: o.type });
      print(o.json, items, () =>
        items.length
          ? items.map((r) => `${r.id}  ${r.type.padEnd(15)} ${String(r.costPoints).padStart(8)} pts  stock ${r.stock ?? '∞'}  ${r.status.padEnd(8)} ${r.title.fa}`).join('\n')
          : 'no rewards',
      );
    });

  rewards
    .command('create')
    .description('create a reward from a JSON file (same body as POST /api/v1/rewards)')
    .requiredOption('--club <slug>', 'club slug or id')
    .requiredOption('--file <reward.json>', 'the reward as JSON')
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      if (!existsSync(o.file)) throw new CliError(`no file ${o.file}`, 2);
      const parsed = RewardCreateSchema.safeParse(JSON.parse(readFileSync(o.file, 'utf8')));
      if (!parsed.success) throw new CliError(`invalid reward: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 2);
      const c = await ctx();
      const r = await c.services.rewards.create(await clubIdOf(c, o.club), parsed.data, { actor: 'cli' });
      if (!r.ok) throw new CliError(`${r.code}: ${r.detail ?? ''}`);
      print(o.json, r.value, () => `created ${r.value.type} ${r.value.id}: ${r.value.title.fa}`);
    });

  rewards
    .command('stock <rewardId> <add>')
    .description('add (or with a negative number remove) stock')
    .requiredOption('--club <slug>', 'club slug or id')
    .option('--json', 'machine-readable output')
    .action(async (rewardId: string, add: string, o) => {
      const n = Number(add);
      if (!Number.isSafeInteger(n)) throw new CliError('<add> must be a whole number', 2);
      const c = await ctx();
      const r = await c.services.rewards.addStock(await clubIdOf(c, o.club), rewardId, n, { actor: 'cli' });
      if (!r.ok) throw new CliError(`${r.code}: ${r.detail ?? ''}`);
      print(o.json, r.value, () => `${rewardId}: stock ${r.value.stock}`);
    });

  rewards
    .command('archive <rewardId>')
    .description('archive a reward (no longer redeemable; history kept)')
    .requiredOption('--club <slug>', 'club slug or id')
    .option('--json', 'machine-readable output')
    .action(async (rewardId: string, o) => {
      const c = await ctx();
      const r = await c.services.rewards.archive(await clubIdOf(c, o.club), rewardId, { actor: 'cli' });
      if (!r.ok) throw new CliError(`${r.code}: ${r.detail ?? ''}`);
      print(o.json, r.value, () => `archived ${rewardId}`);
    });

  rewards
    .command('fatigue <rewardId>')
    .description('redemption rate by how many times a member already took the reward')
    .requiredOption('--club <slug>', 'club slug or id')
    .option('--json', 'machine-readable output')
    .action(async (rewardId: string, o) => {
      const c = await ctx();
      const r = await c.services.rewards.fatigue(await clubIdOf(c, o.club), rewardId);
      if (!r.ok) throw new CliError(`${r.code}: ${r.detail ?? ''}`);
      print(o.json, r.value, () =>
        [`${r.value.redemptions} redemptions by ${r.value.members} members`, 'taken before  members  took again  rate', ...r.value.curve.map((p) => `${String(p.timesTakenBefore).padStart(12)}  ${String(p.members).padStart(7)}  ${String(p.tookAgain).padStart(10)}  ${(p.rate * 100).toFixed(1)}%`)].join('\n'),
      );
    });

  program
    .command('coupons')
    .description('coupon and voucher codes')
    .command('upload <file>')
    .description('add codes to a reward\'s pool from a CSV (a `code` column, optional `expires_at`; or one code per line). Streams: any size.')
    .requiredOption('--reward <rewardId>', 'the coupon / partner_voucher reward')
    .requiredOption('--club <slug>', 'club slug or id')
    .option('--json', 'machine-readable output')
    .action(async (file: string, o) => {
      if (!existsSync(file)) throw new CliError(`no file ${file}`, 2);
      const c = await ctx();
      const clubId = await clubIdOf(c, o.club);
      const exists = await c.services.rewards.get(clubId, o.reward);
      if (!exists.ok) throw new CliError(`${exists.code}: no reward ${o.reward} in this club`);
      const total = statSync(file).size;
      let read = 0;
      const bar = process.stderr.isTTY && !o.json ? new cliProgress.SingleBar({ format: 'uploading [{bar}] {percentage}% | {rows} codes, {added} added, {skipped} skipped' }, cliProgress.Presets.shades_classic) : null;
      bar?.start(total, 0, { rows: 0, added: 0, skipped: 0 });
      const counter = new Transform({
        transform(chunk, _enc, cb) {
          read += chunk.length;
          cb(null, chunk);
        },
      });
      const report = { rows: 0, added: 0, skipped: 0 };
      let header: string[] | null = null;
      let batch: { code: string; expiresAt: Date | null }[] = [];
      const flush = async () => {
        if (!batch.length) return;
        const r = await c.services.rewards.uploadCodes(clubId, o.reward, batch, { actor: 'cli' });
        if (!r.ok) throw new CliError(`${r.code}: ${r.detail ?? ''}`);
        report.added += r.value.added;
        report.skipped += r.value.skipped;
        batch = [];
        bar?.update(read, report);
        if (!bar && !o.json) process.stderr.write(`\r${report.rows} codes, ${report.added} added, ${report.skipped} skipped`);
      };
      const parser = createReadStream(file).pipe(counter).pipe(parse({ bom: true, trim: true, skip_empty_lines: true, relax_column_count: true }));
      for await (const record of parser as AsyncIterable<string[]>) {
        if (!header) {
          const lower = record.map((h) => h.toLowerCase());
          if (lower.includes('code') || lower.includes('کد')) {
            header = lower;
            continue;
          }
          header = ['code', 'expires_at'];
        }
        const at = (name: string) => record[header!.indexOf(name)] ?? '';
        const code = at('code') || at('کد');
        if (!code) continue;
        const exp = at('expires_at');
        report.rows++;
        batch.push({ code, expiresAt: exp ? new Date(exp) : null });
        if (batch.length >= BATCH) await flush();
      }
      await flush();
      bar?.update(total, report);
      bar?.stop();
      print(o.json, report, () => `\n${report.rows} codes: ${report.added} added, ${report.skipped} skipped (duplicates or malformed)`);
    });
}
