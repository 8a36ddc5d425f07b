/**
 * Requests from the OpenAPI document: the routes, a minimal valid example of each body,
 * and fast-check arbitraries for valid-shaped and malformed values of a JSON Schema (the
 * subset zod's toJSONSchema emits: type, properties/required/additionalProperties,
 * anyOf/oneOf, enum/const, string bounds/pattern/format, number bounds, arrays).
 */
import fc from 'fast-check';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Schema = Record<string, any>;

export interface Param {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Schema;
}

export interface Route {
  method: string;
  /** OpenAPI path with {params} */
  path: string;
  params: Param[];
  body: Schema | null;
  bodyRequired: boolean;
}

export function routesOf(spec: { paths: Record<string, Record<string, Schema>> }): Route[] {
  const out: Route[] = [];
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [m, op] of Object.entries(ops)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(m)) continue;
      const body = op.requestBody?.content?.['application/json']?.schema ?? null;
      out.push({ method: m.toUpperCase(), path, params: (op.parameters ?? []) as Param[], body, bodyRequired: Boolean(op.requestBody?.required) });
    }
  }
  return out;
}

/** Fills {name} placeholders, URL-encoding each value. */
export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? 'x'));
}

export const pathParamNames = (path: string): string[] => [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);

const types = (s: Schema): string[] => (Array.isArray(s.type) ? s.type : s.type ? [s.type] : []);

// ------------------------------------------------------------------------ minimal example

/** A deterministic, small, schema-valid value: required fields only, smallest allowed values. */
export function example(s: Schema): unknown {
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0];
  if (s.default !== undefined) return s.default;
  const alt = s.anyOf ?? s.oneOf;
  if (alt) return example(alt.find((x: Schema) => !types(x).includes('null')) ?? alt[0]);
  const t = types(s).find((x) => x !== 'null') ?? types(s)[0];
  switch (t) {
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const k of s.required ?? []) o[k] = example(s.properties?.[k] ?? {});
      return o;
    }
    case 'array':
      return Array.from({ length: s.minItems ?? 0 }, () => example(s.items ?? {}));
    case 'string':
      return exampleString(s);
    case 'integer':
    case 'number': {
      let n = 1;
      if (s.minimum !== undefined) n = Math.max(n, s.minimum);
      if (s.exclusiveMinimum !== undefined) n = Math.max(n, Math.floor(s.exclusiveMinimum) + 1);
      if (s.maximum !== undefined) n = Math.min(n, s.maximum);
      return n;
    }
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return {};
  }
}

function exampleString(s: Schema): string {
  if (s.format === 'email') return 'probe@example.com';
  if (s.format === 'uri') return 'https://example.com/hook';
  if (s.format === 'date-time') return new Date(Date.now() - 3600_000).toISOString();
  if (s.pattern) return fc.sample(fc.stringMatching(new RegExp(s.pattern)).filter((x) => fitsLength(s, x)), { numRuns: 1, seed: 42 })[0]!;
  return 'x'.repeat(Math.max(1, s.minLength ?? 1));
}

const fitsLength = (s: Schema, x: string) => x.length >= (s.minLength ?? 0) && x.length <= (s.maxLength ?? Infinity);

// ------------------------------------------------------------------------ valid-shaped

const PERSIAN_WORDS = ['علی', 'مشهد', 'پزشک', 'جشنواره نوروز', 'کافه‌ی شهر', 'تهران'];

const intIn = (lo: number, hi: number): fc.Arbitrary<number> =>
  hi - lo < 2 ** 31 && Math.abs(lo) < 2 ** 31 && Math.abs(hi) < 2 ** 31
    ? fc.integer({ min: lo, max: hi })
    : fc.oneof(
        fc.integer({ min: Math.max(lo, -1000), max: Math.min(hi, 1_000_000) }),
        fc.bigInt({ min: BigInt(Math.ceil(lo)), max: BigInt(Math.floor(hi)) }).map(Number),
      );

/** Values that match the schema's shape (the server may still refuse them on business rules). */
export function validArb(s: Schema, depth = 0): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...(s.enum as unknown[]));
  const alt = s.anyOf ?? s.oneOf;
  if (alt) return fc.oneof(...alt.map((x: Schema) => validArb(x, depth)));
  const ts = types(s);
  if (ts.length > 1) return fc.oneof(...ts.map((t) => validArb({ ...s, type: t }, depth)));
  switch (ts[0]) {
    case 'object': {
      if (s.properties) {
        const req = new Set<string>(s.required ?? []);
        const model: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [k, v] of Object.entries<Schema>(s.properties)) model[k] = validArb(v, depth + 1);
        return fc.record(model, { requiredKeys: [...req] });
      }
      if (depth > 3) return fc.constant({});
      const key = s.propertyNames?.pattern ? fc.stringMatching(new RegExp(s.propertyNames.pattern)) : fc.string({ minLength: 1, maxLength: 12 });
      const val = s.additionalProperties && typeof s.additionalProperties === 'object' ? validArb(s.additionalProperties, depth + 1) : fc.jsonValue({ maxDepth: 2 });
      return fc.dictionary(key.filter((k) => k.length <= (s.propertyNames?.maxLength ?? 100)), val, { maxKeys: 3 });
    }
    case 'array': {
      const min = s.minItems ?? 0;
      return fc.array(validArb(s.items ?? {}, depth + 1), { minLength: min, maxLength: Math.min(s.maxItems ?? min + 3, min + 3) });
    }
    case 'string': {
      if (s.format === 'email') return fc.emailAddress().filter((x) => fitsLength(s, x));
      if (s.format === 'uri') return fc.webUrl().filter((x) => fitsLength(s, x));
      if (s.format === 'date-time')
        return fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.now() - 60_000 }).map((t) => new Date(t).toISOString());
      if (s.pattern) return fc.stringMatching(new RegExp(s.pattern)).filter((x) => fitsLength(s, x));
      const min = s.minLength ?? 0;
      const max = Math.min(s.maxLength ?? min + 24, min + 24);
      return fc.oneof(
        { weight: 4, arbitrary: fc.string({ minLength: min, maxLength: max }) },
        { weight: 1, arbitrary: fc.constantFrom(...PERSIAN_WORDS).filter((x) => fitsLength(s, x)) },
      ).filter((x) => fitsLength(s, x));
    }
    case 'integer': {
      const lo = Math.max(s.minimum ?? -1_000_000, s.exclusiveMinimum !== undefined ? Math.floor(s.exclusiveMinimum) + 1 : -Infinity);
      const hi = Math.min(s.maximum ?? 1e12, s.exclusiveMaximum !== undefined ? Math.ceil(s.exclusiveMaximum) - 1 : Infinity);
      return intIn(lo, hi);
    }
    case 'number': {
      const lo = s.minimum ?? s.exclusiveMinimum ?? -1e6;
      const hi = s.maximum ?? s.exclusiveMaximum ?? 1e9;
      return fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true }).filter((x) => (s.exclusiveMinimum === undefined || x > s.exclusiveMinimum) && !Object.is(x, -0));
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

// ------------------------------------------------------------------------ malformed

export const HUGE_STRING = 'ب'.repeat(25_000) + 'a'.repeat(50_000); // 100 KB of UTF-8
export function deepJson(depth: number): unknown {
  let x: unknown = { leaf: 1 };
  for (let i = 0; i < depth; i++) x = i % 2 ? { a: x } : [x];
  return x;
}
const DEEP = deepJson(1000);

export const NASTY_STRINGS = [
  // Persian / Arabic digits where numbers, dates and mobiles go
  '۰۹۱۲۳۴۵۶۷۸۹', '٠٩١٢٣٤٥٦٧٨٩', '۱۴۰۳/۱۲/۳۰', '۱۰۰۰', '١٢٣٤', '+۹۸۹۱۲۳۴۵۶۷۸۹', '۱۲٫۵',
  // unicode control characters and bidi overrides
  'a\u0000b', '\u0000', 'x\u0007\u0008\u001b[31m', '\u202Eevil\u202C', '\u2066\u2067\u2068\u2069', '\u200F\u200E\u061C', '\uFEFFbom', 'z\u200Bw\u200Cj\u200D', 'line\r\nbreak', '\uD800', '\uDFFF\uD800', '𝕍𝕒𝕗𝕒 🎉', 'ي ك ى',
  // SQL-ish
  "' OR '1'='1", "'; drop table members; --", '1; select pg_sleep(5)--', "' || (select current_user) || '", '%', '_', '\\', '$1', "'::jsonb", '"', 'null', 'undefined', '../../etc/passwd', '${7*7}', '{{7*7}}', '<script>alert(1)</script>', '__proto__', 'constructor',
];
export const NASTY_NUMBERS = [-1, -0.5, 0.5, 0, -0, 1e308, -1e308, 2 ** 53 + 2, 1e21, 9.999999999999999e22, -2147483649, 4294967296, 0.1 + 0.2, 1e-7];
const OTHER_TYPES: unknown[] = [123, 'str', true, null, [], {}, [1, 'a'], { a: 1 }, '', ' '];
export const EXTRA_PROPS: Record<string, unknown>[] = [
  { balance: 1_000_000 }, { tier: 'gold' }, { points: 999_999 }, { clubId: 'clb_other' }, { club_id: 'clb_other' }, { id: 'mbr_forced' }, { status: 'active' }, { role: 'owner' }, { memberId: 'mbr_other' }, { createdAt: '2000-01-01T00:00:00Z' },
];

type Path = (string | number)[];
/** Every path to a value inside v (the root included). */
function pathsOf(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (at.length > 6) return out;
  if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) pathsOf(x, [...at, k], out);
  return out;
}
function setAt(root: unknown, path: Path, value: unknown | typeof REMOVE): unknown {
  if (path.length === 0) return value === REMOVE ? undefined : value;
  const clone = structuredClone(root) as Record<string | number, unknown>;
  let cur = clone;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (value === REMOVE) {
    if (Array.isArray(cur)) cur.splice(Number(last), 1);
    else delete cur[last];
  } else cur[last] = value;
  return clone;
}
const REMOVE = Symbol('remove');

export type Mutation = 'wrong_type' | 'missing' | 'huge_string' | 'deep_json' | 'nasty_string' | 'nasty_number' | 'extra_property' | 'prototype_pollution';
export const MUTATIONS: Mutation[] = ['wrong_type', 'missing', 'huge_string', 'deep_json', 'nasty_string', 'nasty_number', 'extra_property', 'prototype_pollution'];

/** A valid-shaped value with one mutation at a random place in it. */
export function malformedArb(s: Schema): fc.Arbitrary<{ value: unknown; mutation: Mutation; at: string }> {
  return fc
    .tuple(validArb(s), fc.constantFrom(...MUTATIONS), fc.nat(), fc.nat(), fc.nat())
    .map(([v, mutation, where, pick, pick2]) => {
      const paths = pathsOf(v);
      const path = mutation === 'extra_property' || mutation === 'prototype_pollution' ? objectPaths(v)[where % Math.max(1, objectPaths(v).length)] ?? [] : paths[where % paths.length]!;
      let value: unknown;
      switch (mutation) {
        case 'wrong_type':
          value = setAt(v, path, OTHER_TYPES[pick % OTHER_TYPES.length]);
          break;
        case 'missing':
          value = path.length ? setAt(v, path, REMOVE) : {};
          break;
        case 'huge_string':
          value = setAt(v, path, HUGE_STRING);
          break;
        case 'deep_json':
          value = setAt(v, path, DEEP);
          break;
        case 'nasty_string':
          value = setAt(v, path, NASTY_STRINGS[pick % NASTY_STRINGS.length]);
          break;
        case 'nasty_number':
          value = setAt(v, path, NASTY_NUMBERS[pick % NASTY_NUMBERS.length]);
          break;
        case 'extra_property': {
          const target = getAt(v, path);
          const extra = EXTRA_PROPS[pick2 % EXTRA_PROPS.length]!;
          value = target && typeof target === 'object' && !Array.isArray(target) ? setAt(v, path, { ...(target as object), ...extra }) : extra;
          break;
        }
        case 'prototype_pollution':
          // Serialised by hand below: JSON.parse turns "__proto__" into an own property.
          value = { __raw: true, text: JSON.stringify(v ?? {}).replace(/^\{/, '{"__proto__":{"isAdmin":true,"role":"owner"},"constructor":{"prototype":{"polluted":1}},') };
          break;
      }
      return { value, mutation, at: path.join('.') };
    });
}

function objectPaths(v: unknown): Path[] {
  return pathsOf(v).filter((p) => {
    const x = getAt(v, p);
    return x !== null && typeof x === 'object' && !Array.isArray(x);
  });
}
function getAt(v: unknown, path: Path): unknown {
  let cur = v as Record<string | number, unknown> | undefined;
  for (const k of path) cur = cur?.[k] as Record<string | number, unknown> | undefined;
  return cur;
}

/** The body as sent: JSON, or hand-written text for the prototype-pollution case. */
export function serialise(body: unknown): string {
  if (body && typeof body === 'object' && (body as { __raw?: boolean }).__raw) {
    const t = (body as { text: string }).text;
    return t.startsWith('{') ? t.replace(/,\}$/, '}') : t;
  }
  return JSON.stringify(body);
}
