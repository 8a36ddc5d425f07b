import { useEffect, useState } from 'react';
import { Alert, Badge, Button, Card, Group, Modal, Pagination, SegmentedControl, Select, SimpleGrid, Stack, Table, TagsInput, Text, TextInput, Textarea, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { qs } from '../../shared/api';
import { normalizeDigits } from '../../shared/digits';
import { RefText } from '../../shared/festival';
import { useQuery } from '../../shared/hooks';
import { useI18n } from '../../shared/i18n';
import { IconSearch, IconUsers } from '../../shared/icons';
import { JalaliDateInput } from '../../shared/JalaliDateInput';
import { parseJalali } from '../../shared/jalali';
import type { Festival, FestivalParticipant, Paged } from '../../shared/types';
import { EmptyBlock, ErrorAlert, TableSkeleton, problemText } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useAdmin } from '../session';
import { MemberLinkCell } from './MemberLinkCell';

const tags = (v: string[]) => v.map((g) => g.trim().toLowerCase()).filter(Boolean);
const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Edits a festival (PATCH /api/v1/festivals/:id) under the rules of its phase: before it
 * starts everything; while it runs the start date and enrolment are fixed and the audience
 * may only widen; once over, only the name and description. Sends only what changed.
 */
export function FestivalEditModal({ festival: fe, opened, onClose, onSaved }: { festival: Festival; opened: boolean; onClose: () => void; onSaved: (f: Festival) => void }) {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useAdmin();
  const [nameFa, setNameFa] = useState(fe.name.fa);
  const [nameEn, setNameEn] = useState(fe.name.en);
  const [descFa, setDescFa] = useState(fe.description?.fa ?? '');
  const [descEn, setDescEn] = useState(fe.description?.en ?? '');
  const [from, setFrom] = useState(fe.window.from);
  const [to, setTo] = useState(fe.window.to);
  const [groups, setGroups] = useState(fe.audience.groups);
  const [tiers, setTiers] = useState(fe.audience.tiers);
  const [enrolment, setEnrolment] = useState(fe.enrolment);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!opened) return;
    setNameFa(fe.name.fa);
    setNameEn(fe.name.en);
    setDescFa(fe.description?.fa ?? '');
    setDescEn(fe.description?.en ?? '');
    setFrom(fe.window.from);
    setTo(fe.window.to);
    setGroups(fe.audience.groups);
    setTiers(fe.audience.tiers);
    setEnrolment(fe.enrolment);
    setError(null);
  }, [opened, fe]);

  const started = fe.phase !== 'upcoming';
  const over = fe.phase === 'closed';

  const save = async () => {
    const body: Record<string, unknown> = {};
    if (nameFa.trim() !== fe.name.fa || nameEn.trim() !== fe.name.en) body.name = { fa: nameFa.trim(), en: nameEn.trim() };
    if (descFa.trim() !== (fe.description?.fa ?? '') || descEn.trim() !== (fe.description?.en ?? '')) body.description = descFa.trim() || descEn.trim() ? { fa: descFa.trim(), en: descEn.trim() } : null;
    const win: Record<string, string> = {};
    if (!started && normalizeDigits(from).trim() !== fe.window.from) win.from = normalizeDigits(from).trim();
    if (!over && normalizeDigits(to).trim() !== fe.window.to) win.to = normalizeDigits(to).trim();
    if (Object.keys(win).length) body.window = win;
    if (!over && (!sameList(groups, fe.audience.groups) || !sameList(tiers, fe.audience.tiers))) body.audience = { groups, tiers };
    if (!started && enrolment !== fe.enrolment) body.enrolment = enrolment;
    if (Object.keys(body).length === 0) return onClose();
    if (!nameFa.trim()) return setError(t('festival.form.required'));
    setSaving(true);
    setError(null);
    try {
      const saved = await client.patch<Festival>(`/api/v1/festivals/${fe.id}`, body);
      notifications.show({ color: 'teal', message: t('common.saved') });
      onSaved(saved);
      onClose();
    } catch (err) {
      const p = problemText(err, t);
      setError(p.detail ? `${p.title}: ${p.detail}` : p.title);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal opened={opened} onClose={onClose} title={<Text fw={700}>{t('festival.edit.title')}</Text>} size="lg" centered radius="lg">
      <Stack gap="md" data-testid="festival-edit">
        <Alert color={over ? 'gray' : started ? 'yellow' : 'blue'} variant="light">
          {t(over ? 'festival.edit.ruleClosed' : started ? 'festival.edit.ruleOpen' : 'festival.edit.ruleUpcoming')}
        </Alert>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput label={t('festival.form.nameFa')} value={nameFa} onChange={(e) => setNameFa(e.currentTarget.value)} required name="nameFa" />
          <TextInput label={t('festival.form.nameEn')} value={nameEn} onChange={(e) => setNameEn(e.currentTarget.value)} dir="ltr" name="nameEn" />
          <Textarea label={t('festival.form.descFa')} value={descFa} onChange={(e) => setDescFa(e.currentTarget.value)} autosize minRows={2} />
          <Textarea label={t('festival.form.descEn')} value={descEn} onChange={(e) => setDescEn(e.currentTarget.value)} autosize minRows={2} dir="ltr" />
        </SimpleGrid>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          {started ? (
            <TextInput label={t('festival.form.from')} value={f.digits(fe.window.from)} readOnly disabled description={t('festival.edit.fixed')} />
          ) : (
            <JalaliDateInput label={t('festival.form.from')} value={from} onChange={setFrom} required minYear={1400} error={!parseJalali(from) ? t('jalali.invalid') : undefined} />
          )}
          {over ? (
            <TextInput label={t('festival.form.to')} value={f.digits(fe.window.to)} readOnly disabled description={t('festival.edit.fixed')} />
          ) : (
            <JalaliDateInput label={t('festival.form.to')} value={to} onChange={setTo} required minYear={1400} description={t('festival.form.toHint')} error={!parseJalali(to) ? t('jalali.invalid') : undefined} />
          )}
        </SimpleGrid>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TagsInput label={t('member.groups')} value={groups} onChange={(v) => setGroups(tags(v))} disabled={over} description={started && !over ? t('festival.edit.widenOnly') : t('festival.form.audienceHint')} clearable={!started} />
          <TagsInput label={t('festival.form.tiers')} value={tiers} onChange={(v) => setTiers(tags(v))} disabled={over} clearable={!started} />
        </SimpleGrid>
        <div>
          <Text size="sm" fw={500} mb={4}>
            {t('festival.form.enrolment')}
          </Text>
          <SegmentedControl
            value={enrolment}
            onChange={(v) => setEnrolment(v as Festival['enrolment'])}
            disabled={started}
            data={[
              { value: 'opt_in', label: t('festival.enrolment.opt_in') },
              { value: 'automatic', label: t('festival.enrolment.automatic') },
            ]}
          />
        </div>
        {error && (
          <Alert color="red" variant="light" data-testid="festival-edit-error">
            {error}
          </Alert>
        )}
        <Group justify="flex-end" gap="sm">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button onClick={save} loading={saving}>
            {t('common.save')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** Cancels a festival (POST /api/v1/festivals/:id/cancel) after saying plainly what that does. */
export function FestivalCancelModal({ festival: fe, opened, onClose, onDone }: { festival: Festival; opened: boolean; onClose: () => void; onDone: (f: Festival) => void }) {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useAdmin();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const cancel = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await client.post<Festival & { refunded: { stakes: number; points: number } }>(`/api/v1/festivals/${fe.id}/cancel`, { reason: reason.trim() }, { 'idempotency-key': crypto.randomUUID() });
      notifications.show({ color: 'teal', message: r.refunded.stakes > 0 ? t('festival.cancel.doneRefund', { n: f.num(r.refunded.stakes), points: f.num(r.refunded.points) }) : t('festival.cancel.done') });
      onDone(r);
      onClose();
    } catch (err) {
      setError(problemText(err, t).title);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal opened={opened} onClose={onClose} title={<Text fw={700}>{t('festival.cancel.title', { name: f.name(fe.name) })}</Text>} centered radius="lg">
      <Stack gap="md" data-testid="festival-cancel">
        <Text size="sm">{t('festival.cancel.body')}</Text>
        <Textarea label={t('festival.cancel.reason')} value={reason} onChange={(e) => setReason(e.currentTarget.value)} autosize minRows={2} maxLength={500} />
        {error && (
          <Alert color="red" variant="light">
            {error}
          </Alert>
        )}
        <Group justify="flex-end" gap="sm">
          <Button variant="default" onClick={onClose}>
            {t('festival.cancel.keep')}
          </Button>
          <Button color="red" onClick={cancel} loading={busy}>
            {t('festival.cancel.confirm')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

const PAGE = 20;

/** Every participant, a page at a time with the total: search by entry code, mobile digits or member id; filter by how they joined. */
export function ParticipantList({ festival: fe, version = 0 }: { festival: Festival; version?: number }) {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useAdmin();
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(normalizeDigits(search).trim(), 300);
  const [via, setVia] = useState<string | null>(null);
  const [sort, setSort] = useState<'score' | 'joined'>('score');
  const [page, setPage] = useState(1);
  useEffect(() => setPage(1), [q, via, sort]);
  const list = useQuery<Paged<FestivalParticipant>>(`participants|${fe.id}|${q}|${via ?? ''}|${sort}|${page}|${version}`, (signal) =>
    client.get<Paged<FestivalParticipant>>(`/api/v1/festivals/${fe.id}/participants${qs({ q: q || undefined, via: via ?? undefined, sort, limit: PAGE, offset: (page - 1) * PAGE })}`, signal),
  );
  const d = list.data;
  const pages = d ? Math.max(1, Math.ceil(d.total / PAGE)) : 1;

  return (
    <Card p={0} data-testid="participant-list">
      <Group p="md" justify="space-between" align="flex-end">
        <div>
          <Title order={3} fz="md">
            {t('festival.participants.title')}
          </Title>
          <Text size="sm" c="dimmed" data-testid="participant-total">
            {d ? t('festival.participants.total', { n: f.num(d.total) }) : '\u00a0'}
          </Text>
        </div>
        <SegmentedControl
          size="xs"
          value={sort}
          onChange={(v) => setSort(v as 'score' | 'joined')}
          data={[
            { value: 'score', label: t('festival.participants.byScore') },
            { value: 'joined', label: t('festival.participants.byJoined') },
          ]}
        />
      </Group>
      <Group px="md" pb="md" gap="sm" wrap="wrap">
        <TextInput
          aria-label={t('festival.participants.search')}
          placeholder={t('festival.participants.search')}
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          leftSection={<IconSearch size={16} />}
          style={{ flex: '1 1 220px' }}
        />
        <Select
          aria-label={t('festival.participants.via')}
          placeholder={t('festival.participants.viaAll')}
          value={via}
          onChange={setVia}
          clearable
          w={200}
          data={[
            { value: 'opt_in', label: t('festival.participants.via.opt_in') },
            { value: 'automatic', label: t('festival.participants.via.automatic') },
          ]}
        />
      </Group>
      {list.error ? (
        <div style={{ padding: 16 }}>
          <ErrorAlert error={list.error} onRetry={list.reload} />
        </div>
      ) : !d ? (
        <TableSkeleton rows={6} cols={4} />
      ) : d.items.length === 0 ? (
        <EmptyBlock icon={<IconUsers size={28} />} title={q || via ? t('festival.participants.noMatch') : t('festival.noParticipants')} description={q || via ? undefined : t('festival.noParticipantsHint')} />
      ) : (
        <Table.ScrollContainer minWidth={560}>
          <Table verticalSpacing="xs" highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('draw.entry')}</Table.Th>
                <Table.Th ta="end">{t('festival.participants.score')}</Table.Th>
                <Table.Th>{t('festival.participants.viaCol')}</Table.Th>
                <Table.Th>{t('festival.participants.joined')}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {d.items.map((p) => (
                <Table.Tr key={p.memberId}>
                  <Table.Td>
                    <RefText value={p.entryRef} />
                  </Table.Td>
                  <Table.Td ta="end" className="vafa-num" fw={600}>
                    {f.num(p.score)}
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={p.via === 'automatic' ? 'gray' : 'teal'} tt="none">
                      {t(p.via === 'automatic' ? 'festival.participants.via.automatic' : 'festival.participants.via.opt_in')}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{f.date(p.joinedAt)}</Text>
                  </Table.Td>
                  <MemberLinkCell memberId={p.memberId} label="festival.participants.member" />
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {d && d.total > PAGE && (
        <Group justify="center" p="md">
          <Pagination total={pages} value={page} onChange={setPage} size="sm" aria-label={t('common.pagination')} getItemProps={(n) => ({ children: f.num(n) })} />
        </Group>
      )}
    </Card>
  );
}
