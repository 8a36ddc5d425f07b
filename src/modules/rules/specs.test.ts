/**
 * Runs every data-driven rule spec in testdata/rules/*.json (Numscript-style specs files).
 *
 * A case: { name, timeZone?, rules: [definition + id + version?], member?, event,
 *           usage?: { ruleId: { day|week|month|year|lifetime|budget|<exact period key>: {points, times} } },
 *           expect: { awards: [{ ruleId, unit?, points, ruleVersion? }],
 *                     trace?: [{ ruleId, reason, detail? }] } }
 * Usage may be keyed by period name (resolved to the event's Jalali period in the club's
 * zone) or by an exact key such as "1403-12", to show what falls outside the period.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { periodKey } from '../../platform/jalali.js';
import { compileRule, EarningEventSchema, evaluate, MemberContextSchema, type CompiledRule, type Usage } from './domain.js';

const SPEC_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../testdata/rules');

const UsageSchema = z.object({ points: z.number().default(0), times: z.number().default(0) });

const SpecSchema = z.object({
  name: z.string(),
  timeZone: z.string().default('Asia/Tehran'),
  rules: z.array(z.looseObject({ id: z.string(), version: z.int().default(1) })).min(1),
  member: z.record(z.string(), z.unknown()).default({}),
  event: z.record(z.string(), z.unknown()),
  usage: z.record(z.string(), z.record(z.string(), UsageSchema)).default({}),
  expect: z.object({
    awards: z.array(
      z.object({ ruleId: z.string(), unit: z.string().default('points'), points: z.int(), ruleVersion: z.int().optional() }),
    ),
    trace: z.array(z.object({ ruleId: z.string(), reason: z.string(), detail: z.string().optional() })).optional(),
  }),
});
type Spec = z.infer<typeof SpecSchema>;

const MEMBER_DEFAULTS = { id: 'mbr_spec', joinedAt: '2024-01-01T00:00:00Z' };
const PERIOD_NAMES = ['day', 'week', 'month', 'year'] as const;

function loadSpecs(): { file: string; spec: Spec }[] {
  const out: { file: string; spec: Spec }[] = [];
  for (const file of readdirSync(SPEC_DIR).filter((f) => f.endsWith('.json')).sort()) {
    const raw: unknown = JSON.parse(readFileSync(join(SPEC_DIR, file), 'utf8'));
    for (const [i, c] of (Array.isArray(raw) ? raw : [raw]).entries()) {
      const parsed = SpecSchema.safeParse(c);
      if (!parsed.success) throw new Error(`${file}[${i}]: ${z.prettifyError(parsed.error)}`);
      out.push({ file, spec: parsed.data });
    }
  }
  return out;
}

function runSpec(spec: Spec) {
  const rules: CompiledRule[] = spec.rules.map(({ id, version, ...definition }) => {
    const compiled = compileRule(definition as Parameters<typeof compileRule>[0], { id, version });
    if (!compiled.ok) throw new Error(`rule ${id} does not compile: ${compiled.code} ${compiled.field ?? ''} ${compiled.detail}`);
    return compiled.rule;
  });
  const event = EarningEventSchema.parse(spec.event);
  const member = MemberContextSchema.parse({ ...MEMBER_DEFAULTS, ...spec.member });

  const byPeriodKey = new Map<string, string>(
    PERIOD_NAMES.map((p) => [periodKey(event.occurredAt, p, spec.timeZone), p]),
  );
  const usage = (ruleId: string, key: string): Usage => {
    const forRule = spec.usage[ruleId] ?? {};
    const found = forRule[key] ?? forRule[byPeriodKey.get(key) ?? ''];
    return found ?? { points: 0, times: 0 };
  };

  return { rules, result: evaluate({ rules, event, member, club: { timeZone: spec.timeZone }, usage }) };
}

const specs = loadSpecs();

describe('rule specs (testdata/rules)', () => {
  it('has at least 40 cases with unique names', () => {
    expect(specs.length).toBeGreaterThanOrEqual(40);
    expect(new Set(specs.map((s) => s.spec.name)).size).toBe(specs.length);
  });

  it.each(specs.map((s) => [`${s.file}: ${s.spec.name}`, s.spec] as const))('%s', (_, spec) => {
    const { rules, result } = runSpec(spec);

    // Every rule explains itself exactly once.
    expect(result.trace.map((t) => t.ruleId).sort()).toEqual(rules.map((r) => r.id).sort());
    for (const a of result.awards) expect(Number.isSafeInteger(a.points) && a.points > 0).toBe(true);

    const actualAwards = result.awards.map((a, i) =>
      spec.expect.awards[i]?.ruleVersion === undefined ? { ruleId: a.ruleId, unit: a.unit, points: a.points } : a,
    );
    const expectedAwards = spec.expect.awards.map((a) =>
      a.ruleVersion === undefined ? { ruleId: a.ruleId, unit: a.unit, points: a.points } : a,
    );
    expect(actualAwards, JSON.stringify(result.trace)).toEqual(expectedAwards);

    for (const want of spec.expect.trace ?? []) {
      const line = result.trace.find((t) => t.ruleId === want.ruleId);
      expect(line, `trace line for ${want.ruleId}`).toBeDefined();
      expect({ ruleId: line!.ruleId, reason: line!.reason }, line!.detail).toEqual({ ruleId: want.ruleId, reason: want.reason });
      expect(line!.fired).toBe(want.reason === 'fired');
      if (want.detail !== undefined) expect(line!.detail).toBe(want.detail);
    }
  });
});
