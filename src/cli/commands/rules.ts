/** `vafa rules …`: earning rules from the command line, simulation and backtests. */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatNumber } from '../../platform/persian.js';
import { CliError, clubIdOf, print, type CliContext } from '../context.js';

type Ctx = () => Promise<CliContext>;

function readJson(file: string): unknown {
  if (!existsSync(file)) throw new CliError(`no file ${file}`, 2);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CliError(`${file} is not JSON: ${(e as Error).message}`, 2);
  }
}

async function clubOf(c: CliContext, slugOrId: string) {
  return (await c.services.clubs.get(await clubIdOf(c, slugOrId)))!;
}

const failure = (r: { code: string; detail?: string; extra?: Record<string, unknown> }) =>
  new CliError(`${r.code}: ${r.detail ?? ''}${r.extra?.field ? ` (at ${String(r.extra.field)}${r.extra.position !== undefined ? `, position ${String(r.extra.position)}` : ''})` : ''}`);

export function register(program: Command, ctx: Ctx) {
  const rules = program.command('rules').description('earning rules (CEL), simulation and backtest');

  rules
    .command('list')
    .description('rules of a club, current versions')
    .requiredOption('--club <slug>', 'club slug or id')
    .option('--all', 'include archived rules')
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const c = await ctx();
      const items = await c.services.rules.list(await clubOf(c, o.club), o.all ? ['active', 'paused', 'archived'] : ['active', 'paused']);
      print(o.json, items, () =>
        items.length ? items.map((r) => `${r.id}  v${r.version}  ${r.status.padEnd(8)}  ${String(r.definition.trigger).padEnd(14)}  ${(r.definition.name as { fa: string }).fa}`).join('\n') : 'no rules (purchases earn at the base rate)',
      );
    });

  rules
    .command('create')
    .description('create a rule from a JSON file (window dates Jalali, e.g. {"from":"1404/01/01","to":"1404/06/31"})')
    .requiredOption('--club <slug>', 'club slug or id')
    .requiredOption('--file <rule.json>', 'the rule')
    .option('--paused', 'create it paused')
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const c = await ctx();
      const r = await c.services.rules.create(await clubOf(c, o.club), readJson(o.file), { actor: 'cli' }, o.paused ? 'paused' : 'active');
      if (!r.ok) throw failure(r);
      print(o.json, r.value, () => `created rule ${r.value.id} v${r.value.version} (${r.value.status})`);
    });

  rules
    .command('update <id>')
    .description('edit a rule: a new version; earned points keep the version that made them')
    .requiredOption('--club <slug>', 'club slug or id')
    .requiredOption('--file <rule.json>', 'the new definition')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o) => {
      const c = await ctx();
      const r = await c.services.rules.update(await clubOf(c, o.club), id, readJson(o.file), { actor: 'cli' });
      if (!r.ok) throw failure(r);
      print(o.json, r.value, () => `rule ${id} is now v${r.value.version}`);
    });

  for (const [action, status] of [['pause', 'paused'], ['resume', 'active'], ['archive', 'archived']] as const) {
    rules
      .command(`${action} <id>`)
      .description(`${action} a rule`)
      .requiredOption('--club <slug>', 'club slug or id')
      .option('--json', 'machine-readable output')
      .action(async (id: string, o) => {
        const c = await ctx();
        const r = await c.services.rules.setStatus(await clubOf(c, o.club), id, status, { actor: 'cli' });
        if (!r.ok) throw failure(r);
        print(o.json, r.value, () => `rule ${id}: ${r.value.status}`);
      });
  }

  rules
    .command('simulate')
    .description('dry-run one event against the live rules (and drafts); writes nothing')
    .requiredOption('--club <slug>', 'club slug or id')
    .requiredOption('--event <event.json>', 'an event ({"type":"purchase","amountRials":550000}) or {"eventId":"…"} of a stored one')
    .option('--member <id>', 'evaluate as this member')
    .option('--draft <rule.json...>', 'draft rules to add')
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const c = await ctx();
      const r = await c.services.rules.simulate(await clubOf(c, o.club), {
        event: readJson(o.event) as Record<string, unknown>,
        ...(o.member ? { member: { id: o.member } } : {}),
        drafts: ((o.draft as string[] | undefined) ?? []).map(readJson) as never,
      });
      if (!r.ok) throw failure(r);
      print(o.json, r.value, () =>
        [
          `totals: ${JSON.stringify(r.value.totals)}${r.value.baseRate !== null ? ` (base rate ${r.value.baseRate})` : ''}`,
          ...r.value.trace.map((t) => `  ${t.fired ? '✓' : '·'} ${t.ruleId}@${t.ruleVersion}${t.draft ? ' (draft)' : ''}: ${t.reason}${t.detail ? ` — ${t.detail}` : ''}`),
        ].join('\n'),
      );
    });

  rules
    .command('backtest')
    .description('replay the stored events of a period through a draft rule: points, members touched, cost in rials')
    .requiredOption('--club <slug>', 'club slug or id')
    .requiredOption('--rule <draft.json>', 'the draft rule')
    .requiredOption('--from <date>', 'Jalali date, e.g. 1404/01/01 (inclusive)')
    .requiredOption('--to <date>', 'Jalali date, e.g. 1404/06/31 (inclusive)')
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const c = await ctx();
      const progress = !o.json && process.stderr.isTTY;
      const r = await c.services.rules.backtest(await clubOf(c, o.club), readJson(o.rule), o.from, o.to, {
        onPage: (n) => progress && process.stderr.write(`\r${n} events…`),
      });
      if (progress) process.stderr.write('\r');
      if (!r.ok) throw failure(r);
      const b = r.value;
      print(o.json, b, () =>
        [
          `backtest ${b.from} → ${b.to} (${b.club}), ${b.ms} ms`,
          `  events replayed:   ${formatNumber(b.events, 'en')}`,
          `  events awarded:    ${formatNumber(b.eventsAwarded, 'en')}`,
          `  points:            ${formatNumber(b.points, 'en')}`,
          ...Object.entries(b.byUnit).filter(([u]) => u !== 'points').map(([u, n]) => `  ${u}: ${formatNumber(n, 'en')}`),
          `  members touched:   ${formatNumber(b.membersTouched, 'en')}`,
          `  cost:              ${formatNumber(b.costRials, 'en')} rials (${formatNumber(b.pointValueRials, 'en')} rials a point)`,
        ].join('\n'),
      );
    });
}
