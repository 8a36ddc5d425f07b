/**
 * The daily occasions job, per club in its zone: birthday bonus and greeting, anniversary,
 * profile-completion bonus per optional field (consent-gated), expiry reminders. Each award
 * is claimed in `occasion_awards` (member, kind, key) in the same transaction as its ledger
 * entry and outbox message, so a job run twice — or by two workers — awards once.
 * Messages carry their Persian text and go out at the club's `sendHour`, not at midnight.
 */
import { sql } from 'kysely';
import type { Db, Executor, Tx } from '../../platform/db.js';
import { inTx } from '../../platform/db.js';
import { audit } from '../../platform/audit.js';
import type { Clock } from '../../platform/clock.js';
import { expiryInstant, formatJalali, isSameJalaliMonthDay, zonedDateStart, zonedParts } from '../../platform/jalali.js';
import { enqueue, type ClaimedMessage, type OutboxMessage } from '../../platform/outbox.js';
import { fail, ok, type Result } from '../../platform/result.js';
import type { SmsChannel } from '../../platform/sms.js';
import type { Club, ClubService } from '../clubs/index.js';
import { SYSTEM, type Credit, type LedgerService } from '../ledger/index.js';
import { filledProfileFields, PROFILE_FIELDS } from '../members/index.js';
import { anniversaryText, anniversaryYears, birthdayText, expiryText, monthDayPairsAround, OccasionSettingsSchema, type OccasionSettings } from './domain.js';
import { anniversaryCandidates, birthdayCandidates, contact, expiringBetween, profileCandidates, type Candidate } from './reads.js';

export interface OccasionReport {
  club: string;
  day: string;
  birthdays: number;
  anniversaries: number;
  profileBonuses: number;
  expiryReminders: number;
  points: number;
}

const DAY_MS = 86_400_000;
const addDays = (iso: string, n: number) => new Date(Date.parse(`${iso}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

type Claim = { memberId: string; kind: string; key: string; points: number };

export class OccasionService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly clubs: ClubService,
    private readonly ledger: LedgerService,
    private readonly sms: SmsChannel,
  ) {}

  async settings(clubId: string): Promise<OccasionSettings | null> {
    return this.load(this.db, clubId);
  }

  private async load(ex: Executor, clubId: string): Promise<OccasionSettings | null> {
    const r = await sql<{ definition: unknown }>`select definition from occasion_settings where club_id = ${clubId}`.execute(ex);
    const p = r.rows[0] ? OccasionSettingsSchema.safeParse(r.rows[0].definition) : null;
    return p?.success ? p.data : null;
  }

  async setSettings(clubId: string, input: unknown, by: { actor: string; requestId?: string }): Promise<Result<OccasionSettings>> {
    const p = OccasionSettingsSchema.safeParse(input);
    if (!p.success) return fail('validation_failed', p.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    return inTx(this.db, async (tx) => {
      await sql`insert into occasion_settings (club_id, definition) values (${clubId}, ${JSON.stringify(p.data)}::jsonb)
        on conflict (club_id) do update set definition = excluded.definition, updated_at = now()`.execute(tx);
      await audit(tx, { clubId, actor: by.actor, action: 'occasions.settings_set', target: clubId, after: p.data, requestId: by.requestId });
      return ok(p.data);
    });
  }

  /** Every club whose local day has not been run yet (the worker calls this often; it is cheap). */
  async runDue(now = this.clock.now()): Promise<OccasionReport[]> {
    const out: OccasionReport[] = [];
    for (const id of await this.clubs.listIds()) {
      const club = await this.clubs.get(id);
      if (!club) continue;
      const day = zonedParts(now, club.timeZone).isoDate;
      const done = await sql`select 1 from occasion_runs where club_id = ${id} and day = ${day}::date and finished_at is not null`.execute(this.db);
      if (done.rows.length) continue;
      out.push(await this.run(club, now));
    }
    return out;
  }

  /** Today's occasions for one club. Safe to run again: each award is claimed once. */
  async run(club: Club, now = this.clock.now()): Promise<OccasionReport> {
    const tz = club.timeZone;
    const today = zonedParts(now, tz).isoDate;
    const report: OccasionReport = { club: club.id, day: formatJalali(today), birthdays: 0, anniversaries: 0, profileBonuses: 0, expiryReminders: 0, points: 0 };
    const s = await this.load(this.db, club.id);
    if (s) {
      const sendAt = new Date(Math.max(now.getTime(), zonedDateStart(today, tz).getTime() + s.sendHour * 3_600_000));
      const jy = String(zonedParts(now, tz).jalali.jy);

      if (s.birthday) {
        const cfg = s.birthday;
        const people = (await birthdayCandidates(this.db, club.id, monthDayPairsAround(today))).filter((m) => isSameJalaliMonthDay(m.birthDate!, now, tz));
        const n = await this.award(club, now, people.map((m) => ({ memberId: m.id, kind: 'birthday', key: jy, points: cfg.points })), 'تولد', (c) =>
          cfg.sms ? { topic: 'occasion.birthday', text: birthdayText(cfg, { name: nameOf(people, c.memberId), club: club.name.fa, points: c.points }) } : { topic: 'occasion.birthday', text: null }, sendAt);
        report.birthdays = n.count;
        report.points += n.points;
      }

      if (s.anniversary) {
        const cfg = s.anniversary;
        const people = (await anniversaryCandidates(this.db, club.id, tz, monthDayPairsAround(today), new Date(now.getTime() - 360 * DAY_MS)))
          .map((m) => ({ m, years: anniversaryYears(zonedParts(m.joinedAt, tz).isoDate, today) }))
          .filter((x) => x.years > 0);
        const years = new Map(people.map((x) => [x.m.id, x.years]));
        const n = await this.award(club, now, people.map((x) => ({ memberId: x.m.id, kind: 'anniversary', key: jy, points: cfg.points })), 'سالگرد عضویت', (c) =>
          ({ topic: 'occasion.anniversary', text: cfg.sms ? anniversaryText(cfg, { name: nameOf(people.map((x) => x.m), c.memberId), club: club.name.fa, points: c.points, years: years.get(c.memberId)! }) : null }), sendAt);
        report.anniversaries = n.count;
        report.points += n.points;
      }

      if (s.profileFields) {
        const cfg = s.profileFields;
        const fields = new Set<string>(cfg.fields ?? PROFILE_FIELDS);
        const last = await sql<{ day: string }>`select max(day)::text as day from occasion_runs where club_id = ${club.id} and finished_at is not null`.execute(this.db);
        const lastDay = last.rows[0]?.day ? String(last.rows[0].day).slice(0, 10) : null;
        const since = lastDay ? zonedDateStart(addDays(lastDay, -1), tz) : null;
        let after: string | null = null;
        for (;;) {
          const page = await profileCandidates(this.db, club.id, since, after, 500);
          if (page.length === 0) break;
          after = page.at(-1)!.id;
          const claims: Claim[] = [];
          for (const m of page) {
            if (cfg.requireConsent && !m.consent) continue;
            for (const f of filledProfileFields(m.values)) if (fields.has(f)) claims.push({ memberId: m.id, kind: 'profile_field', key: f, points: cfg.pointsPerField });
          }
          const n = await this.award(club, now, claims, 'تکمیل نمایه', () => ({ topic: 'occasion.profile_bonus', text: null }), sendAt);
          report.profileBonuses += n.count;
          report.points += n.points;
        }
      }

      if (s.expiryReminder) {
        const cfg = s.expiryReminder;
        const day = addDays(today, cfg.daysBefore);
        const due = await expiringBetween(this.db, club.id, zonedDateStart(day, tz), zonedDateStart(addDays(day, 1), tz));
        const byMember = new Map(due.map((d) => [d.memberId, d]));
        const n = await this.award(club, now, due.map((d) => ({ memberId: d.memberId, kind: 'expiry_reminder', key: today, points: 0 })), '', (c) => {
          const d = byMember.get(c.memberId)!;
          return { topic: 'occasion.expiry_reminder', text: expiryText(cfg, { club: club.name.fa, points: d.points, date: formatJalali(zonedParts(new Date(d.expiresAt.getTime() - 1), tz).isoDate) }), extra: { points: d.points, expiresAt: d.expiresAt.toISOString() } };
        }, sendAt);
        report.expiryReminders = n.count;
      }
    }
    await sql`insert into occasion_runs (club_id, day, finished_at, report) values (${club.id}, ${today}::date, ${now}, ${JSON.stringify(report)}::jsonb)
      on conflict (club_id, day) do update set finished_at = excluded.finished_at, report = excluded.report`.execute(this.db);
    return report;
  }

  /**
   * Claims, credits and announces a page of occasion awards in one transaction; only the
   * claims that were not there before are credited. Points are grouped per member.
   */
  private async award(club: Club, now: Date, claims: Claim[], memo: string, message: (c: { memberId: string; points: number }) => { topic: string; text: string | null; extra?: Record<string, unknown> }, sendAt: Date): Promise<{ count: number; points: number }> {
    if (claims.length === 0) return { count: 0, points: 0 };
    const r = await inTx(this.db, async (tx: Tx) => {
      const fresh = await sql<{ member_id: string; kind: string; key: string; points: number }>`
        insert into occasion_awards (club_id, member_id, kind, key, points)
        select ${club.id}, m, k, y, p from unnest(${claims.map((c) => c.memberId)}::text[], ${claims.map((c) => c.kind)}::text[], ${claims.map((c) => c.key)}::text[], ${claims.map((c) => c.points)}::bigint[]) as t(m, k, y, p)
        on conflict do nothing returning member_id, kind, key, points`.execute(tx);
      const perMember = new Map<string, { points: number; kinds: Set<string>; keys: string[] }>();
      for (const f of fresh.rows) {
        const acc = perMember.get(f.member_id) ?? { points: 0, kinds: new Set<string>(), keys: [] };
        acc.points += Number(f.points);
        acc.kinds.add(f.kind);
        acc.keys.push(f.key);
        perMember.set(f.member_id, acc);
      }
      const credits: Credit[] = [];
      const outbox: OutboxMessage[] = [];
      const expiresAt = club.expiryMonths > 0 ? expiryInstant(now, club.expiryMonths, club.timeZone) : null;
      for (const [memberId, acc] of perMember) {
        const kind = [...acc.kinds][0]!;
        if (acc.points > 0) {
          credits.push({ memberId, unit: 'points', amount: acc.points, kind: 'earn', source: SYSTEM.issued, availableAt: now, expiresAt, memo: kind === 'profile_field' ? `${memo}: ${acc.keys.join('، ')}` : memo, ruleVersion: `occasion:${kind}`, meta: { occasion: kind, keys: acc.keys } });
        }
        const m = message({ memberId, points: acc.points });
        outbox.push({ clubId: club.id, topic: m.topic, payload: { memberId, points: acc.points, keys: acc.keys, ...(m.text ? { text: m.text } : {}), ...(m.extra ?? {}) }, availableAt: m.text ? sendAt : now });
      }
      const entries = await this.ledger.credit(tx, club.id, credits);
      const entryOf = new Map(entries.map((e) => [e.memberId!, e.id]));
      if (entries.length) {
        await sql`update occasion_awards a set entry_id = x.e from unnest(${[...entryOf.keys()]}::text[], ${[...entryOf.values()]}::text[]) as x(m, e)
          where a.club_id = ${club.id} and a.member_id = x.m and a.entry_id is null and a.points > 0`.execute(tx);
      }
      await enqueue(tx, outbox);
      return ok({ count: perMember.size, points: [...perMember.values()].reduce((s, a) => s + a.points, 0) });
    });
    return r.ok ? r.value : { count: 0, points: 0 };
  }

  /** Outbox handler: sends an occasion's Persian text to members who accept SMS. */
  async deliver(m: ClaimedMessage): Promise<void> {
    if (!m.topic.startsWith('occasion.') || typeof m.payload.text !== 'string') return;
    const who = await contact(this.db, m.clubId, String(m.payload.memberId ?? ''));
    if (!who || !who.consentSms || who.status !== 'active') return;
    await this.sms.send({ clubId: m.clubId, to: who.mobile, text: m.payload.text, kind: 'transactional' });
  }
}

function nameOf(people: Candidate[], id: string): string | null {
  return people.find((p) => p.id === id)?.firstName ?? null;
}
