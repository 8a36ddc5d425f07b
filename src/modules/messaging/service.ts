/**
 * Turns outbox messages into member notifications. Transactional texts only here (points
 * earned, expired, sign-in codes go straight through access); promotional sends need
 * consent and respect quiet hours (22:00–08:00 in the club's zone) — the campaign side of
 * messaging builds on this.
 */
import type { Db } from '../../platform/db.js';
import type { ClaimedMessage } from '../../platform/outbox.js';
import { formatNumber } from '../../platform/persian.js';
import type { SmsChannel } from '../../platform/sms.js';
import type { ClubService } from '../clubs/index.js';

export class Notifier {
  constructor(
    private readonly db: Db,
    private readonly clubs: ClubService,
    private readonly sms: SmsChannel,
  ) {}

  async handle(m: ClaimedMessage): Promise<void> {
    const text = await this.textFor(m);
    if (!text) return;
    const memberId = String(m.payload.memberId ?? '');
    const member = await this.db
      .selectFrom('members')
      .select(['mobile', 'consent_sms', 'status'])
      .where('club_id', '=', m.clubId)
      .where('id', '=', memberId)
      .executeTakeFirst();
    if (!member || !member.consent_sms || member.status !== 'active') return;
    await this.sms.send({ clubId: m.clubId, to: member.mobile, text, kind: 'transactional' });
  }

  private async textFor(m: ClaimedMessage): Promise<string | null> {
    // Modules that compose their own Persian text (draw wins, badges, challenges) carry it.
    const own = (m.payload.sms as { text?: unknown } | undefined)?.text;
    if (typeof own === 'string' && own.trim()) return own;
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
