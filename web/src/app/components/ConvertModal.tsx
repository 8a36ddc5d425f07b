import { useState, type FormEvent } from 'react';
import { Alert, Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { normalizeDigits } from '../../shared/digits';
import { useI18n } from '../../shared/i18n';
import { IconWallet } from '../../shared/icons';
import type { Club } from '../../shared/types';
import { ErrorAlert } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useMemberSession } from '../session';

/** "تبدیل اعتبار به ارزش ریالی": points become wallet rials at the club's rate. Irreversible, so the rate and result are shown before. */
export function ConvertModal({ opened, onClose, available, club, onDone }: { opened: boolean; onClose: () => void; available: number; club: Club; onDone: () => void }) {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useMemberSession();
  const [amount, setAmount] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [key, setKey] = useState(() => crypto.randomUUID());
  const n = /^\d+$/.test(amount) ? Number(amount) : 0;
  const tooMany = n > available;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!(n > 0) || tooMany) return;
    setBusy(true);
    setError(null);
    try {
      await client.post('/api/v1/me/conversions', { points: n }, { 'idempotency-key': key });
      notifications.show({ color: 'teal', message: t('app.convert.done', { amount: f.money(n * club.pointValueRials) }) });
      setAmount('');
      setKey(crypto.randomUUID());
      onDone();
      onClose();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened={opened} onClose={onClose} title={<Text fw={700}>{t('app.convert.title')}</Text>} radius="lg" centered>
      <form onSubmit={submit} noValidate>
        <Stack gap="md">
          <Text size="sm" c="dimmed">
            {t('app.convert.rate', { amount: f.money(club.pointValueRials) })}
          </Text>
          {error ? <ErrorAlert error={error} /> : null}
          <TextInput
            label={t('app.convert.points')}
            description={t('app.convert.available', { n: f.num(available) })}
            value={f.digits(amount)}
            onChange={(e) => setAmount(normalizeDigits(e.currentTarget.value).replace(/\D/g, ''))}
            inputMode="numeric"
            error={tooMany ? t('app.convert.tooMany') : undefined}
            data-autofocus
            autoComplete="off"
          />
          {n > 0 && !tooMany && (
            <Alert variant="light" icon={<IconWallet />} role="status">
              {t('app.convert.preview', { n: f.num(n), amount: f.money(n * club.pointValueRials) })}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={busy} disabled={!(n > 0) || tooMany}>
              {t('app.convert.submit')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
