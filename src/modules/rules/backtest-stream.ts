/**
 * `POST /api/v1/rules/backtest` as a stream of NDJSON lines, so the console can show progress.
 *
 * The period is checked, the club's events in it are counted once (the `total` of every
 * progress line), then `RulesService.backtest` runs. The response only starts when the first
 * page has been replayed (or the backtest is over): an invalid rule, expression or period is
 * therefore still an ordinary problem+json answer. Once the stream has started, a failure is
 * a last line `{"type":"error","code":…}`. Nothing is written.
 */
import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { Db } from '../../platform/db.js';
import { parseDateInput, zonedDateStart } from '../../platform/jalali.js';
import { sendProblem } from '../../platform/http/problem.js';
import type { Club } from '../clubs/index.js';
import type { BacktestReport, RulesService } from './service.js';
import { countEvents } from './reads.js';

export const BACKTEST_STREAM_DESCRIPTION = [
  'Replays the club\'s stored events of [from, to] (Jalali `1404/01/01` or ISO `2025-03-21` dates, inclusive, in the club zone) through a draft rule, as `rules backtest` does in the CLI. Writes nothing.',
  '',
  'Answer `200 application/x-ndjson`: one JSON object per line.',
  '- `{"type":"progress","events":n,"total":N}` after each page of events replayed (`N` counts the club\'s events in the period once, at the start: `events / total` is the share done);',
  '- then a last line `{"type":"report", club, from, to, events, eventsAwarded, points, byUnit, membersTouched, costRials, pointValueRials, ms}`;',
  '- or, if the backtest fails after the stream started, a last line `{"type":"error","code":"…","detail":"…"}`.',
  '',
  'Errors found before the stream starts (invalid_rule, invalid_expression, invalid_date, invalid_window, validation_failed) are problem+json as usual.',
].join('\n');

export type BacktestLine =
  | { type: 'progress'; events: number; total: number }
  | ({ type: 'report' } & BacktestReport)
  | { type: 'error'; code: string; detail?: string };

/** Pages small enough for about 20 progress lines, between 100 and 1000 events. */
export const pageSizeFor = (total: number): number => Math.min(1000, Math.max(100, Math.ceil(total / 20)));

export async function streamBacktest(
  reply: FastifyReply,
  deps: { rules: RulesService; db: Db; club: Club },
  body: { rule: unknown; from: string; to: string },
) {
  const { rules, db, club } = deps;
  // The same period the service computes; checked here too because the count needs it.
  const fromIso = parseDateInput(body.from);
  const toIso = parseDateInput(body.to);
  if (!fromIso || !toIso) return sendProblem(reply, 'invalid_date', `give from and to as Jalali dates, e.g. 1404/01/01 (got ${body.from}, ${body.to})`);
  const from = zonedDateStart(fromIso, club.timeZone);
  const to = zonedDateStart(new Date(Date.parse(`${toIso}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10), club.timeZone);
  if (to <= from) return sendProblem(reply, 'invalid_window', 'the period must end after it starts');
  const total = await countEvents(db, club.id, from, to);

  const out = new PassThrough();
  const write = (line: BacktestLine) => out.write(`${JSON.stringify(line)}\n`);
  let started = false;
  let onStart!: () => void;
  const startedP = new Promise<'started'>((resolve) => (onStart = () => resolve('started')));
  // A client that closes the stream (navigates away, Ctrl-C) stops the replay at the next page.
  const cancel = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) cancel.abort();
  });
  const run = rules.backtest(club, body.rule, body.from, body.to, {
    signal: cancel.signal,
    pageSize: pageSizeFor(total),
    onPage: (events) => {
      if (!started) {
        started = true;
        onStart();
      }
      write({ type: 'progress', events, total: Math.max(total, events) });
    },
  });
  const first = await Promise.race([startedP, run]);
  if (first !== 'started' && !first.ok) {
    out.destroy();
    return sendProblem(reply, first.code, first.detail, first.extra);
  }
  if (!started) write({ type: 'progress', events: 0, total }); // no events in the period: no page was read
  run.then(
    (r) => {
      if (r.ok) write({ type: 'report', ...r.value });
      else write({ type: 'error', code: r.code, ...(r.detail ? { detail: r.detail } : {}) });
      out.end();
    },
    (err: unknown) => {
      reply.request.log.error({ err }, 'backtest failed after the stream started');
      write({ type: 'error', code: 'internal_error' });
      out.end();
    },
  );
  return reply
    .code(200)
    .header('cache-control', 'no-store')
    .header('x-accel-buffering', 'no') // a proxy must not hold the progress lines back
    .type('application/x-ndjson; charset=utf-8')
    .send(out);
}
