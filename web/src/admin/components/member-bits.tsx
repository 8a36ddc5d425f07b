import { Badge } from '@mantine/core';
import { useI18n, type MessageKey } from '../../shared/i18n';
import type { Member } from '../../shared/types';

export function memberName(m: Pick<Member, 'firstName' | 'lastName'>): string {
  return [m.firstName, m.lastName].filter(Boolean).join(' ');
}

const STATUS: Record<string, { key: MessageKey; color: string }> = {
  active: { key: 'status.active', color: 'teal' },
  suspended: { key: 'status.suspended', color: 'orange' },
  closed: { key: 'status.closed', color: 'gray' },
};

export function StatusBadge({ status }: { status: string }) {
  const { t } = useI18n();
  const s = STATUS[status];
  return (
    <Badge variant="light" color={s?.color ?? 'gray'} size="sm">
      {s ? t(s.key) : status}
    </Badge>
  );
}
