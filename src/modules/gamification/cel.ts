/**
 * CEL for badge criteria: a small environment of its own (the rules module's door does not
 * export its CEL environment, and badges read other variables than earning rules do).
 *
 *   counts   map<string, int>  events of each type in the badge's period (counts.purchase)
 *   amounts  map<string, int>  rials of each type in the badge's period (amounts.purchase)
 *   streaks  map<string, int>  current streak length by streak code (streaks.daily_login)
 *
 * e.g. "5 purchases in a Jalali month": period `month`, criteria `counts.purchase >= 5`.
 * Keys the criteria name (`counts.x`, `amounts.x`, `streaks.x`) read 0 when the member has
 * none yet, so a criterion never fails on a missing key.
 */
import { Environment, type ParseResult } from '@marcbachmann/cel-js';

const LIMITS = { maxExpressionChars: 1_000, maxAstNodes: 100, maxDepth: 16 } as const;

const env = new Environment({ limits: { maxAstNodes: LIMITS.maxAstNodes, maxDepth: LIMITS.maxDepth } })
  .registerVariable('counts', 'map<string, int>')
  .registerVariable('amounts', 'map<string, int>')
  .registerVariable('streaks', 'map<string, int>');

export interface CompiledCriteria {
  source: string;
  parsed: ParseResult;
  /** Keys named with dot access, pre-filled with 0. */
  keys: { counts: string[]; amounts: string[]; streaks: string[] };
}

export type CriteriaVars = { counts: Record<string, number>; amounts: Record<string, number>; streaks: Record<string, number> };

export function compileCriteria(source: string): { ok: true; value: CompiledCriteria } | { ok: false; detail: string } {
  if (source.length > LIMITS.maxExpressionChars) return { ok: false, detail: `criteria longer than ${LIMITS.maxExpressionChars} characters` };
  if (/\bmatches\s*\(/.test(source)) return { ok: false, detail: 'matches() is not allowed (regular expressions can run for a long time)' };
  let parsed: ParseResult;
  try {
    parsed = env.parse(source);
  } catch (e) {
    return { ok: false, detail: summary(e) };
  }
  const checked = parsed.check();
  if (!checked.valid) return { ok: false, detail: summary(checked.error) };
  if (checked.type !== 'bool' && !String(checked.type).startsWith('dyn')) return { ok: false, detail: `criteria must be a condition (bool), not ${checked.type}` };
  const keys = { counts: [] as string[], amounts: [] as string[], streaks: [] as string[] };
  for (const m of source.matchAll(/\b(counts|amounts|streaks)\.([A-Za-z_][A-Za-z0-9_]*)/g)) {
    const list = keys[m[1] as keyof typeof keys];
    if (!list.includes(m[2]!)) list.push(m[2]!);
  }
  return { ok: true, value: { source, parsed, keys } };
}

/** True when the criteria hold; an evaluation error (overflow, a missing bracket key) is false. */
export function criteriaHold(c: CompiledCriteria, vars: CriteriaVars): boolean {
  const toMap = (values: Record<string, number>, named: string[]) => {
    const m = new Map<string, bigint>();
    for (const k of named) m.set(k, 0n);
    for (const [k, v] of Object.entries(values)) m.set(k, BigInt(Math.trunc(v)));
    return m;
  };
  try {
    return c.parsed({ counts: toMap(vars.counts, c.keys.counts), amounts: toMap(vars.amounts, c.keys.amounts), streaks: toMap(vars.streaks, c.keys.streaks) }) === true;
  } catch {
    return false;
  }
}

function summary(e: unknown): string {
  if (e && typeof e === 'object' && 'summary' in e && typeof (e as { summary: unknown }).summary === 'string') return (e as { summary: string }).summary;
  return e instanceof Error ? e.message : String(e);
}
