import { useState, type FormEvent } from 'react';
import { ActionIcon, Alert, Badge, Button, Card, CopyButton, Divider, Group, Modal, SegmentedControl, SimpleGrid, Stack, Stepper, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { confirmAction } from '../../shared/confirm';
import { normalizeDigits } from '../../shared/digits';
import { DrawStatusBadge, HashText, RefText, chanceRuleText, prizeRanks, proofPath, publicJsonPath } from '../../shared/festival';
import { useMomentPassed, useQuery } from '../../shared/hooks';
import { isolate, useI18n } from '../../shared/i18n';
import { IconCheck, IconCopy, IconDownload, IconExternal, IconLock, IconPlay, IconPlus, IconTicket, IconTrash } from '../../shared/icons';
import { JalaliDateInput } from '../../shared/JalaliDateInput';
import { parseJalali } from '../../shared/jalali';
import type { Draw, DrawDetail, Festival } from '../../shared/types';
import { EmptyBlock, ErrorAlert, TableSkeleton, problemText } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useAdmin } from '../session';
import { MemberLinkCell } from './MemberLinkCell';

/** The draws tab of a festival: each draw's commitment, snapshot, winners and public proof. */
export function FestivalDraws({ festival }: { festival: Festival }) {
  const { t } = useI18n();
  const { client, can } = useAdmin();
  const q = useQuery<Draw[]>(`draws|${festival.id}`, (signal) => client.get<{ items: Draw[] }>(`/api/v1/festivals/${festival.id}/draws`, signal).then((r) => r.items));
  const [scheduling, setScheduling] = useState(false);
  const items = [...(q.data ?? [])].sort((a, b) => b.cutoffAt.localeCompare(a.cutoffAt));

  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Text size="sm" c="dimmed" maw={640}>
          {t('draws.explain')}
        </Text>
        {can('write') && festival.phase !== 'closed' && (
          <Button leftSection={<IconPlus size={18} />} onClick={() => setScheduling(true)}>
            {t('draw.schedule')}
          </Button>
        )}
      </Group>
      {q.error ? (
        <ErrorAlert error={q.error} onRetry={q.reload} />
      ) : q.loading ? (
        <Card>
          <TableSkeleton rows={3} cols={3} />
        </Card>
      ) : items.length === 0 ? (
        <Card>
          <EmptyBlock icon={<IconTicket size={28} />} title={t('draws.empty')} description={t('draws.emptyHint')} />
        </Card>
      ) : (
        items.map((d) => <DrawCard key={d.id} draw={d} onChanged={q.reload} />)
      )}
      <ScheduleDrawModal festival={festival} opened={scheduling} onClose={() => setScheduling(false)} onScheduled={q.reload} />
    </Stack>
  );
}

export function DrawCard({ draw, onChanged, festivalName }: { draw: Draw; onChanged: () => void; festivalName?: string }) {
  const { t } = useI18n();
  const f = useFormat();
  const { client, can } = useAdmin();
  const [busy, setBusy] = useState(false);
  const detail = useQuery<DrawDetail | null>(draw.status === 'drawn' ? `draw|${draw.id}|${draw.drawnAt}` : null, (signal) => client.get<DrawDetail>(`/api/v1/draws/${draw.id}`, signal));
  // "Run" enables itself when the cut-off (or the draw time) passes.
  const nextMoment = draw.status === 'scheduled' ? Date.parse(draw.cutoffAt) : draw.status === 'snapshotted' ? Date.parse(draw.drawAt) : NaN;
  const momentPassed = useMomentPassed(nextMoment);
  const step = draw.status === 'scheduled' ? 1 : draw.status === 'snapshotted' ? 2 : 3;
  const due = (draw.status === 'scheduled' || draw.status === 'snapshotted') && momentPassed;
  const waitText = draw.status === 'scheduled' ? t('draw.waitCutoff', { at: f.date(draw.cutoffAt, 'dateTime') }) : t('draw.waitDrawAt', { at: f.date(draw.drawAt, 'dateTime') });
  const proofUrl = `${window.location.origin}${proofPath(draw.id)}`;

  const run = async () => {
    const ok = await confirmAction({
      title: t('draw.runTitle', { title: isolate(f.name(draw.title)) }),
      body: t('draw.runBody', { n: f.num(draw.winners) }),
      confirmLabel: t('draw.run'),
    });
    if (!ok) return;
    setBusy(true);
    try {
      const r = await client.post<Draw>(`/api/v1/draws/${draw.id}/run`, {});
      notifications.show({ color: 'teal', message: r.status === 'drawn' ? t('draw.ranDrawn') : t('draw.ranSnapshot') });
      onChanged();
    } catch (e) {
      notifications.show({ color: 'red', message: problemText(e, t).title });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card data-testid={`draw-${draw.id}`}>
      <Group justify="space-between" align="flex-start" wrap="wrap" gap="sm">
        <div>
          <Group gap="xs">
            <Title order={3} fz="lg">
              {f.name(draw.title)}
            </Title>
            <Badge variant="outline" color="gray" tt="none">
              {t(draw.kind === 'final' ? 'draw.kind.final' : 'draw.kind.stage')}
            </Badge>
            <DrawStatusBadge status={draw.status} />
          </Group>
          {festivalName && (
            <Text size="sm" c="dimmed" mt={2}>
              {festivalName}
            </Text>
          )}
        </div>
        <Group gap="xs">
          {can('write') && draw.status !== 'drawn' && (
            <Button leftSection={<IconPlay size={16} />} onClick={run} loading={busy} disabled={!due} title={due ? undefined : waitText}>
              {t('draw.run')}
            </Button>
          )}
          <Button component="a" href={proofPath(draw.id)} target="_blank" rel="noopener" variant="light" leftSection={<IconExternal size={16} />}>
            {t('draw.proofPage')}
          </Button>
        </Group>
      </Group>

      <Stepper active={step} size="xs" mt="lg" allowNextStepsSelect={false} iconSize={28}>
        <Stepper.Step label={t('draw.step.commit')} description={f.date(draw.committedAt, 'dateTime')} />
        <Stepper.Step label={t('draw.step.snapshot')} description={f.date(draw.snapshotAt ?? draw.cutoffAt, 'dateTime')} />
        <Stepper.Step label={t('draw.step.draw')} description={f.date(draw.drawnAt ?? draw.drawAt, 'dateTime')} />
      </Stepper>
      {!due && draw.status !== 'drawn' && (
        <Text size="xs" c="dimmed" mt="xs">
          {waitText}
        </Text>
      )}

      <SimpleGrid cols={{ base: 2, sm: 4 }} mt="lg" spacing="md">
        <Fact label={t('draw.winners')} value={f.num(draw.winners)} />
        <Fact label={t('draw.minScore')} value={f.num(draw.minScore)} />
        <Fact label={t('draw.entries')} value={draw.entryCount === null ? '—' : f.num(draw.entryCount)} testId="draw-entries" />
        <Fact label={t('draw.totalChances')} value={draw.totalChances === null ? '—' : f.num(draw.totalChances)} />
      </SimpleGrid>
      <Text size="sm" mt="sm">
        {chanceRuleText(draw.chances, f, t)}
        {draw.excludePastWinners ? `${t('common.sep')}${t('draw.excludePast')}` : ''}
      </Text>
      {draw.prizes.length > 0 && (
        <Group gap="xs" mt="sm">
          {draw.prizes.map((p, i) => (
            <Badge key={i} variant="light" color="yellow" tt="none" size="lg">
              {prizeRanks(p, f, t)}: {f.name(p.title)}
            </Badge>
          ))}
        </Group>
      )}

      <Divider my="md" />
      <Stack gap="sm">
        <div>
          <Group gap={6}>
            <IconLock size={16} />
            <Text size="sm" fw={600}>
              {t('draw.commitment')}
            </Text>
          </Group>
          <Text size="xs" c="dimmed" mb={4}>
            {t('draw.commitmentHint')}
          </Text>
          <HashText value={draw.commitment} label={t('draw.commitment')} testId="draw-commitment" />
        </div>
        {draw.entriesDigest && (
          <div>
            <Text size="sm" fw={600}>
              {t('draw.digest')}
            </Text>
            <HashText value={draw.entriesDigest} label={t('draw.digest')} />
          </div>
        )}
      </Stack>

      {draw.status === 'drawn' && (
        <>
          <Divider my="md" />
          <Title order={4} fz="md" mb="xs">
            {t('draw.winnerList')}
          </Title>
          {detail.error ? (
            <ErrorAlert error={detail.error} onRetry={detail.reload} />
          ) : !detail.data ? (
            <TableSkeleton rows={2} cols={4} />
          ) : detail.data.winnerList.length === 0 ? (
            <Text size="sm" c="dimmed">
              {t('draw.noEntries')}
            </Text>
          ) : (
            <Table.ScrollContainer minWidth={560}>
              <Table data-testid="winners">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('draw.rank')}</Table.Th>
                    <Table.Th>{t('draw.entry')}</Table.Th>
                    <Table.Th ta="end">{t('draw.chances')}</Table.Th>
                    <Table.Th>{t('festival.form.prize')}</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {detail.data.winnerList.map((w) => (
                    <Table.Tr key={w.rank}>
                      <Table.Td className="vafa-num" fw={700}>
                        {f.num(w.rank)}
                      </Table.Td>
                      <Table.Td>
                        <RefText value={w.ref} />
                      </Table.Td>
                      <Table.Td ta="end" className="vafa-num">
                        {f.num(w.chances)}
                      </Table.Td>
                      <Table.Td>{w.prize ? f.name(w.prize.title) : '—'}</Table.Td>
                      <MemberLinkCell memberId={w.memberId} />
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
          <Alert variant="light" color="teal" mt="md" icon={<IconCheck />} title={t('draw.publishedTitle')}>
            <Text size="sm">{t('draw.publishedBody')}</Text>
            <Group gap="xs" mt="sm">
              <CopyButton value={proofUrl}>
                {({ copied, copy }) => (
                  <Button size="xs" variant={copied ? 'light' : 'white'} leftSection={copied ? <IconCheck size={14} /> : <IconCopy size={14} />} onClick={copy}>
                    {copied ? t('common.copied') : t('draw.copyLink')}
                  </Button>
                )}
              </CopyButton>
              <Button size="xs" variant="white" component="a" href={publicJsonPath(draw.id)} download={`draw-${draw.id}.json`} leftSection={<IconDownload size={14} />}>
                {t('draw.downloadJson')}
              </Button>
            </Group>
          </Alert>
        </>
      )}
    </Card>
  );
}

function Fact({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={700} className="vafa-num" data-testid={testId}>
        {value}
      </Text>
    </div>
  );
}

type PrizeRow = { from: string; to: string; title: string };
const int = (s: string) => (/^\d+$/.test(s) ? Number(s) : NaN);
const TIME = /^([01]?\d|2[0-3]):[0-5]\d$/;

function ScheduleDrawModal({ festival, opened, onClose, onScheduled }: { festival: Festival; opened: boolean; onClose: () => void; onScheduled: () => void }) {
  const { t } = useI18n();
  const [done, setDone] = useState<Draw | null>(null);
  const close = () => {
    setDone(null);
    onClose();
  };
  return (
    <Modal opened={opened} onClose={close} title={<Text fw={700}>{done ? t('draw.scheduledTitle') : t('draw.schedule')}</Text>} size="lg" radius="lg">
      {done ? (
        <Stack gap="md">
          <Alert color="teal" variant="light" icon={<IconLock />}>
            {t('draw.scheduledBody')}
          </Alert>
          <div>
            <Text size="sm" fw={600} mb={4}>
              {t('draw.commitment')}
            </Text>
            <HashText value={done.commitment} label={t('draw.commitment')} testId="new-commitment" />
          </div>
          <Group justify="flex-end">
            <Button onClick={close}>{t('common.done')}</Button>
          </Group>
        </Stack>
      ) : (
        opened && (
          <ScheduleDrawForm
            festival={festival}
            onCancel={close}
            onDone={(d) => {
              setDone(d);
              onScheduled();
            }}
          />
        )
      )}
    </Modal>
  );
}

function ScheduleDrawForm({ festival, onCancel, onDone }: { festival: Festival; onCancel: () => void; onDone: (d: Draw) => void }) {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useAdmin();
  const [kind, setKind] = useState<'stage' | 'final'>('stage');
  const [titleFa, setTitleFa] = useState('');
  const [titleEn, setTitleEn] = useState('');
  const [cutDate, setCutDate] = useState(festival.window.to);
  const [cutTime, setCutTime] = useState('23:59');
  const [sameTime, setSameTime] = useState(true);
  const [drawDate, setDrawDate] = useState('');
  const [drawTime, setDrawTime] = useState('12:00');
  const [winners, setWinners] = useState('3');
  const [minScore, setMinScore] = useState('1');
  const [basis, setBasis] = useState<'score' | 'staked'>('score');
  const [ppc, setPpc] = useState('1');
  const [exclude, setExclude] = useState(true);
  const [prizes, setPrizes] = useState<PrizeRow[]>([{ from: '1', to: '1', title: '' }]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [tried, setTried] = useState(false);

  const num = (v: string, set: (s: string) => void) => ({ value: f.digits(v), onChange: (e: React.ChangeEvent<HTMLInputElement>) => set(normalizeDigits(e.currentTarget.value).replace(/\D/g, '')), inputMode: 'numeric' as const });
  const time = (v: string, set: (s: string) => void) => ({ value: f.digits(v), onChange: (e: React.ChangeEvent<HTMLInputElement>) => set(normalizeDigits(e.currentTarget.value).replace(/[^\d:]/g, '').slice(0, 5)), inputMode: 'numeric' as const, dir: 'ltr' as const, placeholder: f.digits('18:00'), styles: { input: { textAlign: f.locale === 'fa' ? ('right' as const) : ('left' as const) } } });
  const prizeRows = prizes.filter((p) => p.title.trim());
  const valid =
    titleFa.trim() !== '' &&
    parseJalali(cutDate) !== null &&
    TIME.test(cutTime) &&
    (sameTime || (parseJalali(drawDate) !== null && TIME.test(drawTime))) &&
    int(winners) >= 1 &&
    int(minScore) >= 0 &&
    (basis === 'staked' || int(ppc) >= 1) &&
    prizeRows.every((p) => int(p.from) >= 1 && int(p.to) >= int(p.from) && int(p.to) <= int(winners));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (!valid) return;
    setBusy(true);
    setError(null);
    try {
      const d = await client.post<Draw>(
        `/api/v1/festivals/${festival.id}/draws`,
        {
          kind,
          title: { fa: titleFa.trim(), en: titleEn.trim() },
          cutoffAt: `${cutDate} ${cutTime}`,
          ...(sameTime ? {} : { drawAt: `${drawDate} ${drawTime}` }),
          winners: int(winners),
          minScore: int(minScore),
          chances: basis === 'staked' ? { basis, pointsPerChance: 1 } : { basis, pointsPerChance: int(ppc) },
          excludePastWinners: exclude,
          prizes: prizeRows.map((p) => ({ fromRank: int(p.from), toRank: int(p.to), title: { fa: p.title.trim(), en: '' } })),
        },
        { 'idempotency-key': crypto.randomUUID() },
      );
      onDone(d);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const setPrize = (i: number, patch: Partial<PrizeRow>) => setPrizes((rows) => rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="md">
        {error ? <ErrorAlert error={error} /> : null}
        <SegmentedControl
          value={kind}
          onChange={(v) => setKind(v as 'stage' | 'final')}
          aria-label={t('draw.kind')}
          data={[
            { value: 'stage', label: t('draw.kind.stage') },
            { value: 'final', label: t('draw.kind.final') },
          ]}
        />
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput label={t('draw.titleFa')} value={titleFa} onChange={(e) => setTitleFa(e.currentTarget.value)} required data-autofocus error={tried && !titleFa.trim() ? t('festival.form.required') : undefined} />
          <TextInput label={t('draw.titleEn')} value={titleEn} onChange={(e) => setTitleEn(e.currentTarget.value)} dir="ltr" />
          <JalaliDateInput label={t('draw.cutoffDate')} value={cutDate} onChange={setCutDate} required minYear={1400} description={t('draw.cutoffHint')} />
          <TextInput label={t('draw.cutoffTime')} {...time(cutTime, setCutTime)} required error={tried && !TIME.test(cutTime) ? t('draw.timeInvalid') : undefined} description={t('draw.timeHint')} />
        </SimpleGrid>
        <Switch checked={sameTime} onChange={(e) => setSameTime(e.currentTarget.checked)} label={t('draw.sameTime')} />
        {!sameTime && (
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <JalaliDateInput label={t('draw.drawDate')} value={drawDate} onChange={setDrawDate} required minYear={1400} />
            <TextInput label={t('draw.drawTime')} {...time(drawTime, setDrawTime)} required error={tried && !TIME.test(drawTime) ? t('draw.timeInvalid') : undefined} />
          </SimpleGrid>
        )}
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <TextInput label={t('draw.winners')} {...num(winners, setWinners)} required error={tried && !(int(winners) >= 1) ? t('festival.form.positive') : undefined} />
          <TextInput label={t('draw.minScore')} description={t('draw.minScoreHint')} {...num(minScore, setMinScore)} />
          {basis === 'score' && <TextInput label={t('draw.ppc')} description={chanceRuleText({ basis, pointsPerChance: int(ppc) || 1 }, f, t)} {...num(ppc, setPpc)} />}
        </SimpleGrid>
        {festival.staking && (
          <SegmentedControl
            value={basis}
            onChange={(v) => setBasis(v as 'score' | 'staked')}
            aria-label={t('draw.basis')}
            data={[
              { value: 'score', label: t('draw.basis.score') },
              { value: 'staked', label: t('draw.basis.staked') },
            ]}
          />
        )}
        <Switch checked={exclude} onChange={(e) => setExclude(e.currentTarget.checked)} label={t('draw.excludePast')} description={t('draw.excludePastHint')} />
        <Stack gap="xs">
          <Text size="sm" fw={500}>
            {t('draw.prizes')}
          </Text>
          {prizes.map((p, i) => (
            <Group key={i} gap="xs" align="flex-end" wrap="nowrap">
              <TextInput label={t('draw.fromRank')} {...num(p.from, (s) => setPrize(i, { from: s }))} w={90} />
              <TextInput label={t('draw.toRank')} {...num(p.to, (s) => setPrize(i, { to: s }))} w={90} error={tried && p.title.trim() && !(int(p.to) >= int(p.from) && int(p.to) <= int(winners))} />
              <TextInput label={t('festival.form.prize')} value={p.title} onChange={(e) => setPrize(i, { title: e.currentTarget.value })} style={{ flex: 1 }} placeholder={t('draw.prizePlaceholder')} />
              <ActionIcon variant="subtle" color="red" size="lg" mb={2} onClick={() => setPrizes((rows) => rows.filter((_, j) => j !== i))} aria-label={t('festival.form.removeTop')}>
                <IconTrash size={18} />
              </ActionIcon>
            </Group>
          ))}
          <Button variant="subtle" size="xs" leftSection={<IconPlus size={14} />} style={{ alignSelf: 'flex-start' }} onClick={() => setPrizes((rows) => [...rows, { from: String((int(rows.at(-1)?.to ?? '0') || 0) + 1), to: String((int(rows.at(-1)?.to ?? '0') || 0) + 1), title: '' }])}>
            {t('draw.addPrize')}
          </Button>
        </Stack>
        <Alert variant="light" color="gray" icon={<IconLock />}>
          <Text size="sm">{t('draw.commitNote')}</Text>
        </Alert>
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={busy}>
            {t('draw.scheduleSubmit')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
