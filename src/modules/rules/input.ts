/**
 * What operators send and see, pure: rule definitions whose window is typed as Jalali dates
 * in the club's zone (converted here to the instants the engine uses), event-type schemas,
 * and the versioned name a ledger entry records (`rul_…@3`).
 */
import { z } from 'zod';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import safeRegex from 'safe-regex2';
import { formatJalali, parseDateInput, zonedDateStart, zonedParts } from '../../platform/jalali.js';
import { isUnit } from '../ledger/index.js';
import {
  AudienceSchema,
  BUILT_IN_TRIGGERS,
  EffectSchema,
  RuleLimitsSchema,
  type CompileErrorCode,
  type RuleDefinition,
  type RuleDefinitionInput,
} from './domain.js';

/** `1404/01/01` (Jalali), `2025-03-21` (ISO date) or an ISO instant with offset. */
const DateOrInstant = z.string().min(8).max(40);

export const RuleWindowInputSchema = z
  .object({
    from: DateOrInstant.optional().describe('Jalali date (1404/01/01) in the club zone, ISO date, or ISO instant; inclusive'),
    to: DateOrInstant.optional().describe('Jalali date: the rule runs through the end of that day; an instant is exclusive'),
  })
  .strict();

/** The rule as the API takes it: the engine's definition with a Jalali-friendly window. */
export const RuleInputSchema = z
  .object({
    name: z.object({ fa: z.string().trim().min(1).max(200), en: z.string().max(200).optional() }),
    trigger: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'an event type, lowercase snake_case'),
    condition: z.string().max(4000).optional(),
    effects: z.array(EffectSchema).min(1).max(10),
    limits: RuleLimitsSchema.optional(),
    audience: AudienceSchema.optional(),
    window: RuleWindowInputSchema.optional(),
    priority: z.int().min(-1_000_000).max(1_000_000).default(0),
    stacking: z.enum(['cumulative', 'exclusive']).default('cumulative'),
    stop: z.boolean().optional(),
  })
  .strict();
export type RuleInput = z.input<typeof RuleInputSchema>;

export type InputProblem = { code: CompileErrorCode | 'invalid_date' | 'validation_failed'; detail: string; field?: string; position?: number };

/** A date the operator typed → the instant it stands for in the zone. */
export function toInstant(text: string, tz: string, edge: 'from' | 'to'): string | null {
  if (/T/.test(text)) {
    const t = Date.parse(text);
    return Number.isNaN(t) || !/(Z|[+-]\d\d:?\d\d)$/.test(text) ? null : new Date(t).toISOString();
  }
  const iso = parseDateInput(text);
  if (!iso) return null;
  if (edge === 'from') return zonedDateStart(iso, tz).toISOString();
  // An end date is inclusive: the rule runs until the next local day begins.
  const next = new Date(Date.parse(`${iso}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  return zonedDateStart(next, tz).toISOString();
}

/** API input → the engine's definition (window in instants), or the problem with its field. */
export function toDefinition(input: z.output<typeof RuleInputSchema>, tz: string): { ok: true; definition: RuleDefinitionInput } | ({ ok: false } & InputProblem) {
  for (const [i, e] of input.effects.entries()) {
    if (e.type === 'award' && !isUnit(e.unit)) return { ok: false, code: 'validation_failed', detail: `unit ${e.unit}: points, rials or festival:<id>`, field: `effects[${i}].unit` };
  }
  const { window, ...rest } = input;
  const definition: RuleDefinitionInput = { ...rest };
  if (window && (window.from !== undefined || window.to !== undefined)) {
    const w: { from?: string; to?: string } = {};
    for (const edge of ['from', 'to'] as const) {
      const text = window[edge];
      if (text === undefined) continue;
      const at = toInstant(text, tz, edge);
      if (!at) return { ok: false, code: 'invalid_date', detail: `window.${edge} "${text}" is not a Jalali date (1404/01/01), ISO date or ISO instant`, field: `window.${edge}` };
      w[edge] = at;
    }
    definition.window = w;
  }
  return { ok: true, definition };
}

/** The window back in the operator's terms: Jalali dates in the zone (the end inclusive). */
export function windowForDisplay(def: RuleDefinition, tz: string): { from?: string; to?: string } | undefined {
  if (!def.window) return undefined;
  const out: { from?: string; to?: string } = {};
  if (def.window.from) out.from = formatJalali(zonedParts(new Date(def.window.from), tz).isoDate);
  if (def.window.to) out.to = formatJalali(zonedParts(new Date(Date.parse(def.window.to) - 1), tz).isoDate);
  return out;
}

/** What `journal_entries.rule_version` holds for an award: the rule id and its version. */
export const ruleVersionTag = (ruleId: string, version: number): string => `${ruleId}@${version}`;
/** Purchases in a club with no active purchase rule earn at the club's base rate. */
export const BASE_RATE_TAG = 'base-rate';

// ───────────────────────────── event types ─────────────────────────────

export const BUILT_IN_EVENT_TYPES: readonly string[] = BUILT_IN_TRIGGERS;
export const isBuiltInEventType = (name: string): boolean => BUILT_IN_EVENT_TYPES.includes(name);

export const EventTypeNameSchema = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'lowercase snake_case');
export const EventTypeInputSchema = z
  .object({
    description: z.string().max(500).optional(),
    /** JSON Schema (draft 2020-12 subset that ajv 8 understands) for the event's attributes. */
    schema: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type EventTypeInput = z.infer<typeof EventTypeInputSchema>;

const ajv = new Ajv({ allErrors: false, strict: false, validateFormats: false });

export type AttributeValidator = (attributes: unknown) => { field: string; message: string } | null;

/** Compiles an attributes schema once; null plus the reason when the schema itself is broken. */
/** Longest regular expression an event type's schema may carry (`pattern`, `patternProperties`). */
export const MAX_SCHEMA_PATTERN_CHARS = 256;
/** Keywords whose values are data, not schemas: a `pattern` key inside them is not a regex. */
const DATA_KEYWORDS = new Set(['const', 'enum', 'default', 'examples', 'description', 'title', '$comment']);

/**
 * The operator-supplied regular expressions of a schema, with where they sit. ajv runs them
 * with JS's backtracking engine on attacker-supplied attribute text, so a pattern such as
 * `(a+)+$` could hold the event loop for minutes (ReDoS).
 */
function schemaPatterns(node: unknown, path: string, out: { path: string; pattern: string }[]): void {
  if (Array.isArray(node)) {
    node.forEach((x, i) => schemaPatterns(x, `${path}/${i}`, out));
    return;
  }
  if (!node || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    if (DATA_KEYWORDS.has(k)) continue;
    if (k === 'pattern' && typeof v === 'string') out.push({ path: `${path}/pattern`, pattern: v });
    if (k === 'patternProperties' && v && typeof v === 'object' && !Array.isArray(v)) {
      for (const p of Object.keys(v)) out.push({ path: `${path}/patternProperties`, pattern: p });
    }
    schemaPatterns(v, `${path}/${k}`, out);
  }
}

/**
 * Why a pattern is refused, or null: too long, not a valid (unicode) regex, back-references
 * or look-arounds (which no linear-time check covers), or a nested quantifier / too many
 * repetitions (safe-regex2's star-height test) — the shapes of catastrophic backtracking.
 */
export function unsafePattern(pattern: string): string | null {
  if (pattern.length > MAX_SCHEMA_PATTERN_CHARS) return `longer than ${MAX_SCHEMA_PATTERN_CHARS} characters`;
  try {
    new RegExp(pattern, 'u');
  } catch (e) {
    return `not a valid regular expression (${(e as Error).message})`;
  }
  if (/\\[1-9]|\\k</.test(pattern)) return 'back-references are not allowed';
  if (/\(\?<?[=!]/.test(pattern)) return 'look-ahead and look-behind are not allowed';
  if (!safeRegex(pattern, { limit: 25 })) return 'nested or too many repetitions: it could take exponential time on some input';
  if (repeatedAlternation(pattern)) return 'an alternation under * or + (such as (a|aa)+) could take exponential time on some input';
  return null;
}

/**
 * A group holding `|` and repeated without bound (`*`, `+`, `{n,}`): safe-regex2 misses the
 * overlapping-branches form of catastrophic backtracking, `(a|aa)+`. Refused whether or not
 * the branches overlap — a bounded `{1,5}` or a character class does the everyday jobs.
 */
function repeatedAlternation(pattern: string): boolean {
  const groups: boolean[] = []; // per open group: does it hold a `|`?
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') { i++; continue; }
    if (inClass) { if (ch === ']') inClass = false; continue; }
    if (ch === '[') { inClass = true; continue; }
    if (ch === '(') { groups.push(false); continue; }
    if (ch === '|' && groups.length) { groups[groups.length - 1] = true; continue; }
    if (ch === ')') {
      const alt = groups.pop() ?? false;
      const next = pattern[i + 1];
      if (alt && (next === '*' || next === '+' || (next === '{' && /^\{\d+,\d*\}/.test(pattern.slice(i + 1)) && !/^\{\d+,\d+\}/.test(pattern.slice(i + 1))))) return true;
    }
  }
  return false;
}

export function compileAttributeSchema(schema: Record<string, unknown>): { ok: true; validate: AttributeValidator } | { ok: false; detail: string } {
  if (JSON.stringify(schema).length > 20_000) return { ok: false, detail: 'schema larger than 20 KB' };
  const patterns: { path: string; pattern: string }[] = [];
  schemaPatterns(schema, '', patterns);
  for (const p of patterns) {
    const why = unsafePattern(p.pattern);
    if (why) return { ok: false, detail: `${p.path || '/'}: pattern ${JSON.stringify(p.pattern.slice(0, 80))} refused: ${why}` };
  }
  let fn: ValidateFunction;
  try {
    fn = ajv.compile(schema);
  } catch (e) {
    return { ok: false, detail: (e as Error).message };
  } finally {
    ajv.removeSchema(schema); // our cache keeps the function; ajv's own would grow per version
  }
  return {
    ok: true,
    validate: (attributes) => (fn(attributes) ? null : describeError(fn.errors?.[0])),
  };
}

function describeError(e: ErrorObject | undefined): { field: string; message: string } {
  if (!e) return { field: 'attributes', message: 'does not match the schema' };
  let path = e.instancePath.split('/').filter(Boolean).join('.');
  const missing = (e.params as { missingProperty?: string }).missingProperty;
  const extra = (e.params as { additionalProperty?: string }).additionalProperty;
  if (missing) path = path ? `${path}.${missing}` : missing;
  if (extra) path = path ? `${path}.${extra}` : extra;
  return { field: path ? `attributes.${path}` : 'attributes', message: missing ? 'is required' : extra ? 'is not allowed' : (e.message ?? 'is invalid') };
}
