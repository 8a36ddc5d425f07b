import { Badge, Button, Card, CopyButton, Group, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { useI18n } from '../../shared/i18n';
import { IconCheck, IconCopy, IconShare } from '../../shared/icons';
import { CodeText, Ltr } from '../../shared/ui';
import { useMemberSession } from '../session';

export default function InvitePage() {
  const { t } = useI18n();
  const { session } = useMemberSession();
  const code = session?.member.referralCode ?? '';
  const link = code ? `${window.location.origin}/app/login?club=${encodeURIComponent(session?.clubSlug ?? '')}&ref=${encodeURIComponent(code)}` : '';
  const canShare = typeof navigator !== 'undefined' && 'share' in navigator;

  return (
    <Stack gap="md">
      <Title order={1} fz={22}>
        {t('app.invite.title')}
      </Title>
      <Card padding="lg" ta="center">
        <Stack align="center" gap="sm">
          <ThemeIcon size={64} radius="xl" variant="light">
            <IconShare size={30} />
          </ThemeIcon>
          <Text c="dimmed" size="sm" maw={360}>
            {t('app.invite.body')}
          </Text>
          {code ? (
            <>
              <Text size="xs" c="dimmed" mt="sm">
                {t('member.referralCode')}
              </Text>
              <Text fz={28} fw={800} style={{ letterSpacing: 2 }}>
                <CodeText value={code} />
              </Text>
              <Group gap="sm" mt="xs">
                <CopyButton value={link}>
                  {({ copied, copy }) => (
                    <Button onClick={copy} variant={copied ? 'light' : 'filled'} leftSection={copied ? <IconCheck size={16} /> : <IconCopy size={16} />}>
                      {copied ? t('common.copied') : t('app.invite.copyLink')}
                    </Button>
                  )}
                </CopyButton>
                {canShare && (
                  <Button variant="default" leftSection={<IconShare size={16} />} onClick={() => navigator.share({ title: t('app.invite.shareTitle'), text: t('app.invite.shareText', { code }), url: link }).catch(() => undefined)}>
                    {t('app.invite.share')}
                  </Button>
                )}
              </Group>
              <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
                <Ltr>{link}</Ltr>
              </Text>
            </>
          ) : (
            <Text size="sm">{t('app.invite.noCode')}</Text>
          )}
        </Stack>
      </Card>
      <Card padding="md">
        <Group justify="space-between">
          <Text fw={600}>{t('app.invite.progress')}</Text>
          <Badge variant="light">{t('common.comingSoon')}</Badge>
        </Group>
        <Text size="sm" c="dimmed" mt={4}>
          {t('app.invite.progressSoon')}
        </Text>
      </Card>
    </Stack>
  );
}
