/** Festival and draw pieces both apps show: phases, windows, rules in plain words, entry refs, hashes. */
import { ActionIcon, Badge, CopyButton, Group, Text, Tooltip } from '@mantine/core';
import { hasMessage, useI18n, type MessageKey } from './i18n';
import { IconCheck, IconCopy } from './icons';
import type { DrawStatus, Festival, FestivalPhase, Indicator, Prize } from './types';
import { Ltr } from './ui';
import { useFormat } from './useFormat';

type Fmt = ReturnType<typeof useFormat>;
type T = (k: MessageKey, v?: Record<string, string | number>) => string;

const PHASE_COLOR: Record<FestivalPhase, string> = { open: 'teal', upcoming: 'blue', closed: 'gray' };
/** The festival's phase; a cancelled festival reads «لغو شده» whatever its dates say. */
export function PhaseBadge({ phase, status, size = 'sm' }: { phase: FestivalPhase; status?: 'active' | 'cancelled'; size?: 'xs' | 'sm' | 'md' | 'lg' }) {
  const { t } = useI18n();
  if (status === 'cancelled')
    return (
      <Badge color="red" variant="light" size={size} tt="none" data-testid="festival-cancelled">
        {t('festival.cancelled')}
      </Badge>
    );
  return (
    <Badge color={PHASE_COLOR[phase]} variant="light" size={size} tt="none">
      {t(`festival.phase.${phase}` as MessageKey)}
    </Badge>
  );
}

const DRAW_COLOR: Record<DrawStatus, string> = { scheduled: 'blue', snapshotted: 'orange', drawn: 'teal', cancelled: 'gray' };
export function DrawStatusBadge({ status }: { status: DrawStatus }) {
  const { t } = useI18n();
  return (
    <Badge color={DRAW_COLOR[status]} variant="light" tt="none">
      {t(`draw.status.${status}` as MessageKey)}
    </Badge>
  );
}

/** The festival's window as dates of the club's calendar (the end date is inclusive). */
export function windowText(w: Festival['window'], f: Fmt, t: T): string {
  const last = new Date(Date.parse(w.endsAt) - 1).toISOString();
  return t('festival.windowRange', { from: f.date(w.startsAt), to: f.date(last) });
}

export function eventLabel(type: string, t: T): string {
  const key = `rules.trigger.${type}`;
  return hasMessage(key) ? t(key) : type;
}

/** "۱ امتیاز جشنواره به ازای هر ۱۰۰٬۰۰۰ تومان خرید" */
export function indicatorText(ind: Indicator, f: Fmt, t: T): string {
  // Inside an English sentence the event reads in lower case ("per app login").
  const label = eventLabel(ind.eventType, t);
  const event = f.locale === 'en' ? label.toLowerCase() : label;
  const one = ind.score === 1;
  let s =
    ind.per === 'event'
      ? t(one ? 'festival.indicator.perEventOne' : 'festival.indicator.perEvent', { score: f.num(ind.score), event })
      : t(one ? 'festival.indicator.perAmountOne' : 'festival.indicator.perAmount', { score: f.num(ind.score), amount: f.money(ind.per.rials), event });
  if (ind.minAmountRials > 0) s += ` ${t('festival.indicator.min', { amount: f.money(ind.minAmountRials) })}`;
  if (ind.maxPerEvent) s += ` ${t('festival.indicator.cap', { n: f.num(ind.maxPerEvent) })}`;
  return s;
}

export function chanceRuleText(c: { basis: 'score' | 'staked'; pointsPerChance: number }, f: Fmt, t: T): string {
  return c.basis === 'staked' ? t('draw.rule.staked') : c.pointsPerChance === 1 ? t('draw.rule.scoreOne') : t('draw.rule.score', { n: f.num(c.pointsPerChance) });
}

export function prizeFor(prizes: readonly Prize[], rank: number): Prize | null {
  return prizes.find((p) => rank >= p.fromRank && rank <= p.toRank) ?? null;
}

export function prizeRanks(p: Prize, f: Fmt, t: T): string {
  return p.fromRank === p.toRank ? t('draw.prize.rank', { n: f.num(p.fromRank) }) : t('draw.prize.ranks', { from: f.num(p.fromRank), to: f.num(p.toRank) });
}

export function audienceText(a: Festival['audience'], t: T): string {
  if (a.groups.length === 0 && a.tiers.length === 0) return t('festival.audience.everyone');
  const parts = [...a.groups.map((g) => t('festival.audience.group', { g })), ...a.tiers.map((x) => t('festival.audience.tier', { t: x }))];
  return parts.join(t('common.listSep'));
}

/**
 * An entry reference `0912***4567#k3f9x2ab`: the masked mobile in the reader's digits, then the
 * entry code exactly as published (what the member finds in the proof's list).
 */
export function RefText({ value, strong }: { value: string | null | undefined; strong?: boolean }) {
  const f = useFormat();
  if (!value) return <>—</>;
  const i = value.lastIndexOf('#');
  const mask = i >= 0 ? value.slice(0, i) : value;
  const code = i >= 0 ? value.slice(i + 1) : '';
  return (
    <Ltr>
      <span className="vafa-ref" style={{ fontWeight: strong ? 700 : undefined }}>
        {f.digits(mask)}
        {code && (
          <>
            <span className="vafa-ref-hash">#</span>
            <span className="vafa-mono">{code}</span>
          </>
        )}
      </span>
    </Ltr>
  );
}

/** A SHA-256 (or any hex) value: left-to-right, monospaced, wraps anywhere, with a copy button. */
export function HashText({ value, label, testId }: { value: string | null | undefined; label: string; testId?: string }) {
  const { t } = useI18n();
  if (!value) return <Text c="dimmed">—</Text>;
  return (
    <Group gap={6} wrap="nowrap" align="flex-start">
      <Text className="vafa-hash" size="sm" data-testid={testId} style={{ minWidth: 0 }}>
        <Ltr>{value}</Ltr>
      </Text>
      <CopyButton value={value}>
        {({ copied, copy }) => (
          <Tooltip label={copied ? t('common.copied') : t('common.copy')} withArrow>
            <ActionIcon variant="subtle" color={copied ? 'teal' : 'gray'} onClick={copy} aria-label={`${t('common.copy')} — ${label}`}>
              {copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
            </ActionIcon>
          </Tooltip>
        )}
      </CopyButton>
    </Group>
  );
}

/** Where the public proof page of a draw lives (served by the member app, no sign-in). */
export const proofPath = (drawId: string) => `/app/draws/${encodeURIComponent(drawId)}`;
export const publicJsonPath = (drawId: string) => `/api/v1/public/draws/${encodeURIComponent(drawId)}`;

/** A category's value as people read it: a count, or (amount categories) money. */
export function categoryValue(fe: Festival, category: string, v: number, f: Fmt): string {
  const c = fe.categories.find((x) => x.key === category);
  return c?.measure === 'amount' ? f.money(v * (c.perRials ?? 10_000)) : f.num(v);
}
