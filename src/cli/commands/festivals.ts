/**
 * `vafa draw verify draw.json` — checks a published draw document offline (no database, no
 * network): exit 0 when valid, 1 otherwise, one line per problem. Also `vafa draw publish`,
 * `vafa draw run` and `vafa festivals tick` for operators.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { verifyDraw, type PublishedDraw } from '../../modules/festivals/index.js';
import { CliError, clubIdOf, print, type CliContext } from '../context.js';

type Ctx = () => Promise<CliContext>;

/** Reads and verifies a document; returns the exit code and the lines to print. */
export function verifyDrawFile(file: string): { exitCode: 0 | 1; lines: string[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { exitCode: 1, lines: [`unreadable_file: ${(e as Error).message}`] };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { exitCode: 1, lines: [`invalid_document: not JSON (${(e as Error).message})`] };
  }
  const v = verifyDraw(doc as PublishedDraw);
  if (!v.valid) return { exitCode: 1, lines: v.problems };
  const w = v.recomputed.winners ?? [];
  return {
    exitCode: 0,
    lines: [
      `valid: draw ${(doc as PublishedDraw).drawId}, ${(doc as PublishedDraw).entries.length} entries, ${v.recomputed.totalChances} chances, digest ${v.recomputed.entriesDigest}`,
      ...w.map((x) => `  ${x.rank}. ${x.ref} (${x.chances} chances)`),
    ],
  };
}

export function register(program: Command, ctx: Ctx) {
  const draw = program.command('draw').description('festival draws (قرعه‌کشی)');
  draw
    .command('verify <file>')
    .description('verify a published draw document (docs/draws.md): seed vs commitment, list vs digest, winners recomputed; exit 0 valid, 1 otherwise')
    .action((file: string) => {
      const r = verifyDrawFile(file);
      process.stdout.write(`${r.lines.join('\n')}\n`);
      process.exitCode = r.exitCode;
    });

  draw
    .command('publish <drawId>')
    .description('print the public document of a draw (the same JSON as GET /api/v1/public/draws/:id)')
    .option('--out <file>', 'write it to a file instead of stdout')
    .action(async (drawId: string, o) => {
      const c = await ctx();
      const doc = await c.services.festivals.publishedDraw(drawId);
      if (!doc.ok) throw new CliError(`${doc.code}: ${doc.detail ?? ''}`);
      const text = `${JSON.stringify(doc.value, null, 2)}\n`;
      if (o.out) writeFileSync(o.out, text);
      else process.stdout.write(text);
    });

  draw
    .command('run <drawId>')
    .description('snapshot a draw at its cut-off and draw it at its draw time (what the worker does)')
    .requiredOption('--club <slug>', 'club slug or id')
    .option('--json', 'machine-readable output')
    .action(async (drawId: string, o) => {
      const c = await ctx();
      const club = await c.services.clubs.get(await clubIdOf(c, o.club));
      const r = await c.services.festivals.runDraw(club!, drawId, { actor: 'cli' });
      if (!r.ok) throw new CliError(`${r.code}: ${r.detail ?? ''}`);
      print(o.json, r.value, () => `draw ${r.value.id}: ${r.value.status}${r.value.entryCount !== null ? `, ${r.value.entryCount} entries` : ''}`);
    });

  program
    .command('festivals')
    .description('festivals (جشنواره)')
    .command('tick')
    .description('run due festival work once: draw snapshots and draws, automatic enrolment, top performers')
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const c = await ctx();
      const r = await c.services.festivals.tick();
      print(o.json, r, () => `draws drawn: ${r.draws}, members enrolled: ${r.enrolled}, festivals decided: ${r.decided}`);
    });
}
