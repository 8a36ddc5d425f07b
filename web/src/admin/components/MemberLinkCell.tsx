import { Anchor, Table } from '@mantine/core';
import { Link } from 'react-router-dom';
import { useI18n, type MessageKey } from '../../shared/i18n';

/** The last cell of a row about a member: a link to the member's page (nothing if unknown). */
export function MemberLinkCell({ memberId, label = 'audit.openMember' }: { memberId: string | null | undefined; label?: MessageKey }) {
  const { t } = useI18n();
  return (
    <Table.Td ta="end">
      {memberId && (
        <Anchor component={Link} to={`/members/${memberId}`} size="sm">
          {t(label)}
        </Anchor>
      )}
    </Table.Td>
  );
}
