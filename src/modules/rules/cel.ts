/**
 * CEL for earning rules: the one shared environment, the variables a rule sees, save-time
 * cost bounds, and running a compiled expression without throwing.
 *
 * Variables (all integers are CEL `int`, i.e. BigInt on the JS side):
 *
 *   event.type        string    purchase, refund, signup, … or a custom type
 *   event.amount      int       amount in rials (0 when the event has none)
 *   event.attributes  map<string, dyn>  the event's attributes; whole numbers arrive as int,
 *                               fractions as double; test optional keys with has(…)
 *   event.items       list<Item>  line items: sku, category (string), quantity, amount (int, rials)
 *   event.channel     string    "" when absent
 *   event.store       string    "" when absent
 *   member.id         string
 *   member.tier       string    "" when the member has no tier
 *   member.groups     list<string>
 *   member.city       string    "" when unknown
 *   member.counters   map<string, int>  e.g. member.counters.purchases; has(…) for optional ones
 *   member.tierMultiplier  double  (informational: the engine applies it to points itself)
 *   member.daysSinceJoined int  whole days (24 h) from joining to the event
 *   context.year / month / day  int  the Jalali date of the event in the club's zone
 *   context.weekday   int       0 = Saturday … 6 = Friday
 *   context.hour / minute  int  local time in the club's zone
 *   context.isoDate   string    the local Gregorian date, YYYY-MM-DD
 *   context.isBirthday bool     the member's Jalali birthday (Esfand 30 → 29 in common years)
 *
 * Extra function: `list<int>.sum()` and `list<double>.sum()`, e.g.
 *   event.items.filter(i, i.category == "dairy").map(i, i.amount).sum() / 20000 * 20
 *
 * Integer arithmetic: `event.amount / 20000 * 10` is int division, which truncates, so it
 * means "10 points per *whole* 20,000 rials": 55,000 → 2 × 10 = 20 (not 27.5). Writing
 * `event.amount * 10 / 20000` gives 27 (truncated once, at the end). For a fractional
 * result use doubles — `double(event.amount) / 2000.0` → 27.5 — and let the effect's
 * `rounding` decide. Mixing int and double in arithmetic (`event.amount * 1.5`) is a type
 * error in CEL: convert explicitly with double(…) / int(…).
 */
import { Environment, ParseError, type ASTNode, type ParseResult } from '@marcbachmann/cel-js';

/**
 * Save-time bounds. CEL is not Turing complete, but cost still grows with expression size
 * and with nested comprehensions: `items.exists(a, items.exists(b, …))` is quadratic in the
 * number of line items, and each level multiplies again. One level keeps an expression
 * linear in the event's size (which ingest bounds), so the per-event cost of a rule is
 * bounded by its size: ≤ 200 nodes × (1 + items). Regular expressions (`matches`) are
 * refused because JS regexes backtrack (CEL specifies RE2): a crafted pattern over
 * attacker-supplied attribute text could hang the process.
 */
export const CEL_LIMITS = {
  maxExpressionChars: 2_000,
  maxAstNodes: 200,
  maxDepth: 32,
  maxComprehensionNesting: 1,
} as const;

const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);
const FORBIDDEN_FUNCTIONS = new Set(['matches']);

export class CelItem {
  constructor(
    readonly sku: string,
    readonly category: string,
    readonly quantity: bigint,
    readonly amount: bigint,
  ) {}
}

export class CelEvent {
  constructor(
    readonly type: string,
    readonly amount: bigint,
    readonly attributes: Record<string, unknown>,
    readonly items: CelItem[],
    readonly channel: string,
    readonly store: string,
  ) {}
}

export class CelMember {
  constructor(
    readonly id: string,
    readonly tier: string,
    readonly groups: string[],
    readonly city: string,
    readonly counters: Record<string, bigint>,
    readonly tierMultiplier: number,
    readonly daysSinceJoined: bigint,
  ) {}
}

export class CelContext {
  constructor(
    readonly year: bigint,
    readonly month: bigint,
    readonly day: bigint,
    readonly weekday: bigint,
    readonly hour: bigint,
    readonly minute: bigint,
    readonly isoDate: string,
    readonly isBirthday: boolean,
  ) {}
}

export type CelVariables = { event: CelEvent; member: CelMember; context: CelContext };

const sumInts = (list: bigint[]): bigint => list.reduce((a, b) => a + b, 0n);
const sumDoubles = (list: number[]): number => list.reduce((a, b) => a + b, 0);

// Building an Environment is expensive: one for the process.
const env = new Environment({
  limits: { maxAstNodes: CEL_LIMITS.maxAstNodes, maxDepth: CEL_LIMITS.maxDepth },
})
  .registerType('Item', {
    ctor: CelItem,
    fields: { sku: 'string', category: 'string', quantity: 'int', amount: 'int' },
  })
  .registerType('Event', {
    ctor: CelEvent,
    fields: {
      type: 'string',
      amount: 'int',
      attributes: 'map<string, dyn>',
      items: 'list<Item>',
      channel: 'string',
      store: 'string',
    },
  })
  .registerType('Member', {
    ctor: CelMember,
    fields: {
      id: 'string',
      tier: 'string',
      groups: 'list<string>',
      city: 'string',
      counters: 'map<string, int>',
      tierMultiplier: 'double',
      daysSinceJoined: 'int',
    },
  })
  .registerType('Context', {
    ctor: CelContext,
    fields: {
      year: 'int',
      month: 'int',
      day: 'int',
      weekday: 'int',
      hour: 'int',
      minute: 'int',
      isoDate: 'string',
      isBirthday: 'bool',
    },
  })
  .registerVariable('event', 'Event')
  .registerVariable('member', 'Member')
  .registerVariable('context', 'Context')
  .registerFunction('list<int>.sum(): int', sumInts)
  .registerFunction('list<double>.sum(): double', sumDoubles);

/** What an expression must produce: a condition a bool, an amount a number. */
export type ExpressionKind = 'condition' | 'amount';

export type CompiledExpression = {
  readonly source: string;
  readonly parsed: ParseResult;
  /**
   * Necessary conditions read off a condition's top-level `&&` chain (see guardsOf): when
   * one of them is false for an event, the whole expression is false — CEL's `false && x`
   * is false whatever x gives, an error included — so the engine answers without running
   * the interpreter. Empty for amounts and for conditions with nothing recognisable.
   */
  readonly guards: readonly Guard[];
};

/**
 * A test the engine can run in plain JS, equivalent to one conjunct of a condition:
 *   event.store|channel|type == "s"     member.tier|city|id == "s"     (either side)
 *   "g" in member.groups                event.items.exists(x, x.category == "c")
 *   context.year|month|day|weekday|hour|minute == n
 *   event.amount (== != < <= > >=) n
 */
export type Guard =
  | { kind: 'event'; field: 'store' | 'channel' | 'type'; value: string }
  | { kind: 'member'; field: 'tier' | 'city' | 'id'; value: string }
  | { kind: 'group'; value: string }
  | { kind: 'category'; value: string }
  | { kind: 'context'; field: 'year' | 'month' | 'day' | 'weekday' | 'hour' | 'minute'; value: number }
  | { kind: 'amount'; op: '==' | '!=' | '<' | '<=' | '>' | '>='; value: number };

type Node = { op: string; args: unknown };
const isNode = (x: unknown): x is Node => !!x && typeof x === 'object' && 'op' in x && 'args' in x;
/** `root.field` for a top-level variable root, or null. */
function fieldOf(n: unknown): { root: string; field: string } | null {
  if (!isNode(n) || n.op !== '.' || !Array.isArray(n.args)) return null;
  const [target, field] = n.args as [unknown, unknown];
  if (!isNode(target) || target.op !== 'id' || typeof target.args !== 'string' || typeof field !== 'string') return null;
  return { root: target.args, field };
}
const literal = (n: unknown): unknown => (isNode(n) && n.op === 'value' ? n.args : undefined);
const EVENT_STRINGS = new Set(['store', 'channel', 'type']);
const MEMBER_STRINGS = new Set(['tier', 'city', 'id']);
const CONTEXT_INTS = new Set(['year', 'month', 'day', 'weekday', 'hour', 'minute']);
const FLIP: Record<string, '==' | '!=' | '<' | '<=' | '>' | '>='> = { '==': '==', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

function guardOf(n: Node): Guard | null {
  const args = Array.isArray(n.args) ? (n.args as unknown[]) : [];
  if (n.op === 'in' && args.length === 2) {
    const v = literal(args[0]);
    const f = fieldOf(args[1]);
    if (typeof v === 'string' && f?.root === 'member' && f.field === 'groups') return { kind: 'group', value: v };
    return null;
  }
  if (n.op === 'rcall' && args[0] === 'exists') {
    // event.items.exists(x, x.category == "c")
    const recv = fieldOf(args[1]);
    const inner = args[2] as unknown[] | undefined;
    if (recv?.root !== 'event' || recv.field !== 'items' || !Array.isArray(inner) || inner.length !== 2) return null;
    const iter = inner[0];
    const pred = inner[1];
    if (!isNode(iter) || iter.op !== 'id' || typeof iter.args !== 'string' || !isNode(pred) || pred.op !== '==' || !Array.isArray(pred.args)) return null;
    const [a, b] = pred.args as [unknown, unknown];
    for (const [f, l] of [[a, b], [b, a]] as const) {
      const ff = fieldOf(f);
      const v = literal(l);
      if (ff && ff.root === iter.args && ff.field === 'category' && typeof v === 'string') return { kind: 'category', value: v };
    }
    return null;
  }
  if (!(n.op in FLIP) || args.length !== 2) return null;
  for (const [f, l, flipped] of [[args[0], args[1], false], [args[1], args[0], true]] as const) {
    const ff = fieldOf(f);
    const v = literal(l);
    if (!ff || v === undefined) continue;
    const op = flipped ? FLIP[n.op]! : (n.op as Guard extends { op: infer O } ? O : never);
    if (ff.root === 'event' && ff.field === 'amount' && typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return { kind: 'amount', op, value: Number(v) };
    if (n.op !== '==') continue;
    if (ff.root === 'event' && EVENT_STRINGS.has(ff.field) && typeof v === 'string') return { kind: 'event', field: ff.field as 'store', value: v };
    if (ff.root === 'member' && MEMBER_STRINGS.has(ff.field) && typeof v === 'string') return { kind: 'member', field: ff.field as 'tier', value: v };
    if (ff.root === 'context' && CONTEXT_INTS.has(ff.field) && typeof v === 'bigint' && v >= 0n && v < 100_000n) return { kind: 'context', field: ff.field as 'year', value: Number(v) };
  }
  return null;
}

/** The guards of an expression's top-level `&&` chain (nothing under ||, !, ?: or a call). */
export function guardsOf(ast: unknown): Guard[] {
  const out: Guard[] = [];
  const walk = (n: unknown) => {
    if (!isNode(n)) return;
    if (n.op === '&&' && Array.isArray(n.args)) {
      for (const a of n.args) walk(a);
      return;
    }
    const g = guardOf(n);
    if (g) out.push(g);
  };
  walk(ast);
  return out;
}

export type ExpressionCompileFailure = {
  ok: false;
  code: 'invalid_expression' | 'expression_too_expensive';
  detail: string;
  position?: number;
};

export type ExpressionCompileResult = { ok: true; expression: CompiledExpression } | ExpressionCompileFailure;

const ACCEPTED_TYPES: Record<ExpressionKind, (t: string) => boolean> = {
  condition: (t) => t === 'bool' || t.startsWith('dyn'),
  amount: (t) => t === 'int' || t === 'uint' || t === 'double' || t.startsWith('dyn'),
};

function errorPosition(e: unknown): number | undefined {
  const range = (e as { range?: { start?: unknown } } | undefined)?.range;
  return typeof range?.start === 'number' ? range.start : undefined;
}

function errorSummary(e: unknown): string {
  if (e && typeof e === 'object' && 'summary' in e && typeof e.summary === 'string') return e.summary;
  return e instanceof Error ? e.message : String(e);
}

const fail = (
  code: ExpressionCompileFailure['code'],
  detail: string,
  position?: number,
): ExpressionCompileFailure => ({ ok: false, code, detail, ...(position !== undefined ? { position } : {}) });

/** Parse, bound and type-check once; the result is evaluated many times. */
export function compileExpression(source: string, kind: ExpressionKind): ExpressionCompileResult {
  if (source.length > CEL_LIMITS.maxExpressionChars) {
    return fail(
      'expression_too_expensive',
      `expression is ${source.length} characters; at most ${CEL_LIMITS.maxExpressionChars}`,
      CEL_LIMITS.maxExpressionChars,
    );
  }
  if (source.trim() === '') return fail('invalid_expression', 'empty expression', 0);

  let parsed: ParseResult;
  try {
    parsed = env.parse(source);
  } catch (e) {
    const code = e instanceof ParseError && e.code === 'limit_exceeded' ? 'expression_too_expensive' : 'invalid_expression';
    return fail(code, errorSummary(e), errorPosition(e));
  }

  const costly = findCostViolation(parsed.ast, 0);
  if (costly) return fail('expression_too_expensive', costly.detail, costly.position);

  const checked = parsed.check();
  if (!checked.valid) return fail('invalid_expression', errorSummary(checked.error), errorPosition(checked.error));
  const type = checked.type ?? 'dyn';
  if (!ACCEPTED_TYPES[kind](type)) {
    const want = kind === 'condition' ? 'bool' : 'a number (int or double)';
    return fail('invalid_expression', `${kind} must be ${want}, not ${type}`, 0);
  }
  return { ok: true, expression: { source, parsed, guards: kind === 'condition' ? guardsOf(parsed.ast) : [] } };
}

type Violation = { detail: string; position: number };

/** Walks the AST for what the parser's node and depth limits do not cover. */
function findCostViolation(node: ASTNode, comprehensionDepth: number): Violation | null {
  if (node.op === 'rcall' || node.op === 'call') {
    const name = node.args[0];
    if (FORBIDDEN_FUNCTIONS.has(name)) {
      return { detail: `${name}() is not allowed in rules (regular expressions can run for a very long time)`, position: node.start };
    }
  }
  if (node.op === 'rcall' && COMPREHENSIONS.has(node.args[0])) {
    const [name, receiver, args] = node.args;
    const inner = comprehensionDepth + 1;
    if (inner > CEL_LIMITS.maxComprehensionNesting) {
      return {
        detail: `${name}() inside another comprehension: at most ${CEL_LIMITS.maxComprehensionNesting} level of all/exists/exists_one/map/filter`,
        position: node.start,
      };
    }
    return findCostViolation(receiver, comprehensionDepth) ?? firstViolation(args, inner);
  }
  return firstViolation(node.args, comprehensionDepth);
}

function firstViolation(value: unknown, depth: number): Violation | null {
  if (Array.isArray(value)) {
    for (const v of value) {
      const found = firstViolation(v, depth);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object' && 'op' in value && 'args' in value) {
    return findCostViolation(value as ASTNode, depth);
  }
  return null;
}

export type ExpressionRunResult = { ok: true; value: unknown } | { ok: false; detail: string };

/** Never throws: overflow, division by zero, a missing key… come back as a detail. */
export function runExpression(expression: CompiledExpression, variables: CelVariables): ExpressionRunResult {
  try {
    return { ok: true, value: expression.parsed(variables) };
  } catch (e) {
    return { ok: false, detail: errorSummary(e) };
  }
}

/** JSON attribute values → CEL values: whole numbers become int, the rest stays as is. */
export function toCelValue(value: unknown): unknown {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCelValue);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toCelValue(v);
    return out;
  }
  return value;
}

export function toCelInt(n: number): bigint {
  return BigInt(Math.trunc(n));
}
