/**
 * One SMS provider interface. Adapters for Iranian gateways (Kavenegar, SMS.ir, Ghasedak,
 * Melipayamak) implement it over HTTPS fetch; development uses the log channel, which
 * writes every message — one-time codes included — to the log.
 */
import type { Logger } from 'pino';
import { smsParts } from './persian.js';

export type SmsKind = 'transactional' | 'promotional';

export interface SmsChannel {
  send(msg: { clubId: string; to: string; text: string; kind: SmsKind }): Promise<void>;
}

export class LogSmsChannel implements SmsChannel {
  readonly sent: { clubId: string; to: string; text: string; kind: SmsKind; at: Date }[] = [];
  constructor(
    private readonly logger: Logger,
    private readonly keep = 1000,
  ) {}
  async send(msg: { clubId: string; to: string; text: string; kind: SmsKind }) {
    const parts = smsParts(msg.text);
    this.logger.info({ sms: { ...msg, parts: parts.parts, encoding: parts.encoding } }, `SMS to ${msg.to}: ${msg.text}`);
    this.sent.push({ ...msg, at: new Date() });
    if (this.sent.length > this.keep) this.sent.shift();
  }
}
