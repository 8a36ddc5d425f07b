import { useEffect, useState, type ReactNode } from 'react';
import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useI18n } from './i18n';

export type ConfirmOptions = {
  title: string;
  body?: ReactNode;
  confirmLabel: string;
  danger?: boolean;
};

type Pending = ConfirmOptions & { resolve: (ok: boolean) => void };
let show: ((p: Pending) => void) | null = null;

/** Asks the person before a destructive or irreversible action; resolves true on confirm. */
export function confirmAction(options: ConfirmOptions): Promise<boolean> {
  return new Promise((resolve) => {
    if (!show) return resolve(window.confirm(options.title));
    show({ ...options, resolve });
  });
}

export function ModalsHost() {
  const { t } = useI18n();
  const [pending, setPending] = useState<Pending | null>(null);
  useEffect(() => {
    show = setPending;
    return () => {
      show = null;
    };
  }, []);
  const close = (ok: boolean) => {
    pending?.resolve(ok);
    setPending(null);
  };
  return (
    <Modal opened={pending !== null} onClose={() => close(false)} title={<Text fw={700}>{pending?.title}</Text>} centered radius="lg">
      <Stack gap="lg">
        {typeof pending?.body === 'string' ? <Text size="sm">{pending.body}</Text> : pending?.body}
        <Group justify="flex-end" gap="sm">
          <Button variant="default" onClick={() => close(false)}>
            {t('common.cancel')}
          </Button>
          <Button color={pending?.danger ? 'red' : undefined} onClick={() => close(true)} data-autofocus>
            {pending?.confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
