/**
 * Turns outbox messages into member notifications. Transactional texts only here (points
 * earned, expired, sign-in codes go straight through access); promotional sends need
 * consent and respect quiet hours (22:00–08:00 in the club's zone) — the campaign side of
 * messaging builds on this.
 *
 * The worker hands over whole batches (`handleMany`): the batch's members are read in ONE
 * query, then each text is sent; a failed send fails only its own message.
 */
import { sql } from 'kysely';
import type { Db } from '../../platform/db.js';
import type { ClaimedMessage } from '../../platform/outbox.js';
import { formatNumber } from '../../platform/persian.js';
import type { SmsChannel } from '../../platform/sms.js';
import type { ClubService } from '../clubs/index.js';

interface Contact {
  club_id: string;
  id: string;
  mobile: string;
  consent_sms: boolean;
  status: string;
}

export class Notifier {
  constructor(
    private readonly db: Db,
    private readonly clubs: ClubService,
    private readonly sms: SmsChannel,
  ) {}

  /** One message (kept for callers that deliver one at a time). Throws if its send failed. */
  async handle(m: ClaimedMessage): Promise<void> {
    const failed = await this.handleMany([m]);
    if (failed.has(m.id)) throw failed.get(m.id);
  }

  /**
   * A batch: texts composed, the members looked up in one query, one SMS per message to an
   * active member with SMS consent. Returns the messages whose send failed (id → error); the
   * look-up itself failing throws (the whole batch is retried).
   */
  async handleMany(ms: ClaimedMessage[]): Promise<Map<number, unknown>> {
    const failed = new Map<number, unknown>();
    const todo: { m: ClaimedMessage; text: string; memberId: string }[] = [];
    for (const m of ms) {
      const text = await this.textFor(m);
      if (text) todo.push({ m, text, memberId: String(m.payload.memberId ?? '') });
    }
    if (todo.length === 0) return failed;
    const ids = [...new Set(todo.map((t) => t.memberId).filter((id) => id !== ''))];
    const found = ids.length
      ? (await sql<Contact>`select club_id, id, mobile, consent_sms, status from members where id = any(${ids}::text[])`.execute(this.db)).rows
      : [];
    const byId = new Map(found.map((r) => [r.id, r]));
    for (const { m, text, memberId } of todo) {
      const member = byId.get(memberId);
      if (!member || member.club_id !== m.clubId || !member.consent_sms || member.status !== 'active') continue;
      try {
        await this.sms.send({ clubId: m.clubId, to: member.mobile, text, kind: 'transactional' });
      } catch (e) {
        failed.set(m.id, e);
      }
    }
    return failed;
  }

  private async textFor(m: ClaimedMessage): Promise<string | null> {
    // Modules that compose their own Persian text (draw wins, badges, challenges) carry it.
    const own = (m.payload.sms as { text?: unknown } | undefined)?.text;
    if (typeof own === 'string' && own.trim()) return own;
    if (m.topic !== 'points.earned' && m.topic !== 'points.expired') return null;
    const club = await this.clubs.get(m.clubId);
    if (!club) return null;
    const n = (v: unknown) => formatNumber(Number(v ?? 0), 'fa');
    switch (m.topic) {
      case 'points.earned':
        return `${club.name.fa}: ${n(m.payload.points)} امتیاز به حساب شما افزوده شد.`;
      case 'points.expired':
        return `${club.name.fa}: ${n(m.payload.points)} امتیاز شما منقضی شد.`;
      default:
        return null;
    }
  }
}
