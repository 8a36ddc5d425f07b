import { useState, type FormEvent } from 'react';
import { ActionIcon, Alert, Badge, Button, Card, Grid, Group, Progress, SegmentedControl, Select, SimpleGrid, Stack, Table, Text, TextInput, ThemeIcon, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { confirmAction } from '../../shared/confirm';
import { normalizeDigits } from '../../shared/digits';
import { useQuery } from '../../shared/hooks';
import { useI18n } from '../../shared/i18n';
import { IconPlus, IconStar, IconTiers, IconTrash } from '../../shared/icons';
import type { Overview, TierLevel, TierProgram } from '../../shared/types';
import { EmptyBlock, ErrorAlert, PageHeader, TableSkeleton, problemText } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useAdmin } from '../session';
import { useTierProgram } from '../components/tier-bits';

const LEVEL_COLORS = ['gray', 'orange', 'yellow', 'teal', 'grape', 'blue', 'pink'];

export default function TiersPage() {
  const { t } = useI18n();
  const f = useFormat();
  const { client, can } = useAdmin();
  const q = useTierProgram();
  const stats = useQuery<Overview | null>('overview|30', (signal) => client.get<Overview>('/api/v1/stats/overview', signal).catch(() => null));
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState(false);
  const p = q.data;

  const review = async () => {
    const ok = await confirmAction({ title: t('tiers.reviewTitle'), body: t('tiers.reviewBody'), confirmLabel: t('tiers.review') });
    if (!ok) return;
    setBusy(true);
    try {
      const r = await client.post<{ period: string | null; reviewed: number; downgraded: number; inactive: number }>('/api/v1/tiers/review', {});
      notifications.show({ color: 'teal', title: t('tiers.reviewDone'), message: t('tiers.reviewReport', { reviewed: f.num(r.reviewed), down: f.num(r.downgraded), inactive: f.num(r.inactive) }) });
      stats.reload();
    } catch (e) {
      notifications.show({ color: 'red', message: problemText(e, t).title });
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    const ok = await confirmAction({ title: t('tiers.removeTitle'), body: t('tiers.removeBody'), confirmLabel: t('tiers.remove'), danger: true });
    if (!ok) return;
    try {
      await client.del('/api/v1/tiers');
      q.setData(null);
    } catch (e) {
      notifications.show({ color: 'red', message: problemText(e, t).title });
    }
  };

  return (
    <>
      <PageHeader
        title={t('nav.tiers')}
        subtitle={t('tiers.subtitle')}
        actions={
          can('write') &&
          p &&
          !editing && (
            <>
              <Button variant="default" onClick={review} loading={busy}>
                {t('tiers.review')}
              </Button>
              <Button onClick={() => setEditing(true)}>{t('tiers.edit')}</Button>
            </>
          )
        }
      />
      {q.error ? (
        <ErrorAlert error={q.error} onRetry={q.reload} />
      ) : q.loading ? (
        <Card>
          <TableSkeleton rows={4} cols={4} />
        </Card>
      ) : editing ? (
        <TierEditor
          program={p ?? null}
          onCancel={() => setEditing(false)}
          onSaved={(next) => {
            q.setData(next);
            setEditing(false);
            notifications.show({ color: 'teal', message: t('common.saved') });
          }}
        />
      ) : !p ? (
        <Card py="xl">
          <EmptyBlock
            icon={<IconTiers size={28} />}
            title={t('tiers.empty')}
            description={t('tiers.emptyHint')}
            action={
              can('write') && (
                <Button onClick={() => setEditing(true)} leftSection={<IconPlus size={16} />}>
                  {t('tiers.define')}
                </Button>
              )
            }
          />
        </Card>
      ) : (
        <ProgramView program={p} stats={stats.data ?? null} onRemove={can('write') ? remove : undefined} />
      )}
    </>
  );
}

function windowSentence(p: TierProgram, f: ReturnType<typeof useFormat>, t: ReturnType<typeof useI18n>['t']): string {
  const what = t(p.measure === 'points' ? 'tiers.measure.points' : 'tiers.measure.rials');
  const when = p.window.kind === 'rolling' ? t('tiers.window.rollingN', { n: f.num(p.window.days) }) : t(p.window.kind === 'jalali_year' ? 'tiers.window.jalali_year' : 'tiers.window.jalali_month');
  return t('tiers.qualifies', { what, when });
}

function ProgramView({ program: p, stats, onRemove }: { program: TierProgram; stats: Overview | null; onRemove?: () => void }) {
  const { t } = useI18n();
  const f = useFormat();
  const byTier = new Map((stats?.tiers ?? []).map((x) => [x.tier, x.members]));
  const total = stats?.members ?? 0;
  const threshold = (n: number) => (p.measure === 'rials' ? f.money(n) : f.points(n));
  const r = p.retention;
  return (
    <Stack gap="md">
      <Card>
        <Group gap="sm" wrap="nowrap" align="flex-start">
          <ThemeIcon size={40} radius="md" variant="light">
            <IconTiers />
          </ThemeIcon>
          <div>
            <Text fw={600}>{windowSentence(p, f, t)}</Text>
            <Text size="sm" c="dimmed" mt={4}>
              {t('tiers.retention', { down: f.num(r.maxLevelsDown) })}
              {r.inactiveMonths ? ` ${t('tiers.inactivity', { months: f.num(r.inactiveMonths), down: f.num(r.inactiveLevelsDown) })}` : ''}
            </Text>
          </div>
        </Group>
      </Card>
      <SimpleGrid cols={{ base: 1, sm: 2, lg: Math.min(4, p.levels.length) }} data-testid="tier-levels">
        {p.levels.map((l, i) => (
          <Card key={l.code} style={{ borderTop: `4px solid var(--mantine-color-${LEVEL_COLORS[i % LEVEL_COLORS.length]}-5)`, display: 'flex', flexDirection: 'column' }}>
            <Group justify="space-between" align="flex-start">
              <div>
                <Text fw={700} fz="lg">
                  {f.name({ fa: l.name.fa, en: l.name.en ?? '' })}
                </Text>
                <Text size="xs" c="dimmed" className="vafa-mono">
                  {l.code}
                </Text>
              </div>
              <ThemeIcon variant="light" color={LEVEL_COLORS[i % LEVEL_COLORS.length]} radius="xl">
                <IconStar size={16} />
              </ThemeIcon>
            </Group>
            <Text size="sm" mt="md" c="dimmed">
              {t('tiers.threshold')}
            </Text>
            <Text fw={700} className="vafa-num">
              {l.threshold === 0 ? t('tiers.entry') : threshold(l.threshold)}
            </Text>
            <Group gap={6} mt="sm">
              {l.multiplier > 1 && (
                <Badge variant="light" color="teal" tt="none">
                  {t('tiers.multiplier', { x: f.num(Math.round((l.multiplier - 1) * 100)) })}
                </Badge>
              )}
              {Object.keys(l.thresholdsByCity ?? {}).length > 0 && (
                <Badge variant="light" color="gray" tt="none">
                  {t('tiers.cityOverrides', { n: f.num(Object.keys(l.thresholdsByCity ?? {}).length) })}
                </Badge>
              )}
              {Object.keys(l.thresholdsByGroup ?? {}).length > 0 && (
                <Badge variant="light" color="gray" tt="none">
                  {t('tiers.groupOverrides', { n: f.num(Object.keys(l.thresholdsByGroup ?? {}).length) })}
                </Badge>
              )}
            </Group>
            {stats && (
              <Text size="sm" mt="auto" pt="md" data-testid={`tier-members-${l.code}`}>
                {t('tiers.membersIn', { n: f.num(byTier.get(l.code) ?? 0) })}
              </Text>
            )}
          </Card>
        ))}
      </SimpleGrid>
      {stats && (
        <Card>
          <Title order={3} fz="md" mb="md">
            {t('dashboard.tiers')}
          </Title>
          <Stack gap="sm">
            {[...p.levels.map((l) => ({ code: l.code as string | null, name: f.name({ fa: l.name.fa, en: l.name.en ?? '' }) })), { code: null, name: t('tier.none') }].map((x, i) => {
              const n = byTier.get(x.code) ?? 0;
              return (
                <div key={x.code ?? '-'}>
                  <Group justify="space-between" mb={4}>
                    <Text size="sm">{x.name}</Text>
                    <Text size="sm" fw={600} className="vafa-num">
                      {f.num(n)} <Text span c="dimmed" size="xs">({f.percent(total ? n / total : 0)})</Text>
                    </Text>
                  </Group>
                  <Progress value={total ? (n / total) * 100 : 0} color={x.code === null ? 'gray.4' : `${LEVEL_COLORS[i % LEVEL_COLORS.length]}.5`} size="md" radius="xl" aria-label={x.name} />
                </div>
              );
            })}
          </Stack>
        </Card>
      )}
      {onRemove && (
        <Group justify="flex-end">
          <Button variant="subtle" color="red" onClick={onRemove}>
            {t('tiers.remove')}
          </Button>
        </Group>
      )}
    </Stack>
  );
}

type LevelRow = { code: string; nameFa: string; nameEn: string; threshold: string; multiplier: string; keep: Partial<TierLevel> };
const int = (s: string) => (/^\d+$/.test(s) ? Number(s) : NaN);
const DEFAULT_LEVELS: LevelRow[] = [
  { code: 'bronze', nameFa: 'برنزی', nameEn: 'Bronze', threshold: '0', multiplier: '1', keep: {} },
  { code: 'silver', nameFa: 'نقره‌ای', nameEn: 'Silver', threshold: '2000', multiplier: '1.1', keep: {} },
  { code: 'gold', nameFa: 'طلایی', nameEn: 'Gold', threshold: '10000', multiplier: '1.25', keep: {} },
];

function TierEditor({ program, onCancel, onSaved }: { program: TierProgram | null; onCancel: () => void; onSaved: (p: TierProgram) => void }) {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useAdmin();
  const [measure, setMeasure] = useState<'points' | 'rials'>(program?.measure ?? 'points');
  const [kind, setKind] = useState<TierProgram['window']['kind']>(program?.window.kind ?? 'jalali_year');
  const [days, setDays] = useState(program?.window.kind === 'rolling' ? String(program.window.days) : '365');
  const [levels, setLevels] = useState<LevelRow[]>(
    program
      ? program.levels.map(({ code, name, threshold, multiplier, ...keep }) => ({ code, nameFa: name.fa, nameEn: name.en ?? '', threshold: String(threshold), multiplier: String(multiplier), keep }))
      : DEFAULT_LEVELS,
  );
  const [maxDown, setMaxDown] = useState(String(program?.retention.maxLevelsDown ?? 1));
  const [inactiveMonths, setInactiveMonths] = useState(program?.retention.inactiveMonths ? String(program.retention.inactiveMonths) : '');
  const [inactiveDown, setInactiveDown] = useState(String(program?.retention.inactiveLevelsDown ?? 1));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [tried, setTried] = useState(false);

  const num = (v: string, set: (s: string) => void) => ({ value: f.digits(v), onChange: (e: React.ChangeEvent<HTMLInputElement>) => set(normalizeDigits(e.currentTarget.value).replace(/\D/g, '')), inputMode: 'numeric' as const });
  const setLevel = (i: number, patch: Partial<LevelRow>) => setLevels((rows) => rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const codeOk = (c: string) => /^[a-z][a-z0-9_-]{0,31}$/.test(c);
  const mult = (s: string) => Number(normalizeDigits(s).replace('٫', '.'));
  const rising = levels.every((l, i) => i === 0 || int(l.threshold) > int(levels[i - 1]!.threshold));
  const valid =
    levels.length > 0 &&
    levels.every((l) => codeOk(l.code) && l.nameFa.trim() && int(l.threshold) >= 0 && mult(l.multiplier) >= 1 && mult(l.multiplier) <= 10) &&
    new Set(levels.map((l) => l.code)).size === levels.length &&
    rising &&
    (kind !== 'rolling' || int(days) >= 1) &&
    int(maxDown) >= 1;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (!valid) return;
    setBusy(true);
    setError(null);
    try {
      const body: TierProgram = {
        measure,
        window: kind === 'rolling' ? { kind, days: int(days) } : { kind },
        levels: levels.map((l) => ({ ...l.keep, rewards: l.keep.rewards ?? [], code: l.code, name: { fa: l.nameFa.trim(), ...(l.nameEn.trim() ? { en: l.nameEn.trim() } : {}) }, threshold: int(l.threshold), multiplier: mult(l.multiplier) })),
        retention: { maxLevelsDown: int(maxDown), inactiveLevelsDown: int(inactiveDown) || 1, ...(inactiveMonths ? { inactiveMonths: int(inactiveMonths) } : {}) },
      };
      const r = await client.put<{ program: TierProgram }>('/api/v1/tiers', body);
      onSaved(r.program);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="md" maw={980}>
        {error ? <ErrorAlert error={error} /> : null}
        <Card>
          <Title order={3} fz="md" mb="md">
            {t('tiers.how')}
          </Title>
          <Grid gap="md" align="flex-end">
            <Grid.Col span={{ base: 12, sm: 5 }}>
              <Text size="sm" fw={500} mb={6} id="tier-measure">
                {t('tiers.measure')}
              </Text>
              <SegmentedControl
                fullWidth
                aria-labelledby="tier-measure"
                value={measure}
                onChange={(v) => setMeasure(v as 'points' | 'rials')}
                data={[
                  { value: 'points', label: t('tiers.measure.points') },
                  { value: 'rials', label: t('tiers.measure.rials') },
                ]}
              />
            </Grid.Col>
            <Grid.Col span={{ base: 8, sm: 4 }}>
              <Select
                label={t('tiers.window')}
                value={kind}
                onChange={(v) => v && setKind(v as typeof kind)}
                allowDeselect={false}
                data={[
                  { value: 'jalali_year', label: t('tiers.window.jalali_year') },
                  { value: 'jalali_month', label: t('tiers.window.jalali_month') },
                  { value: 'rolling', label: t('tiers.window.rolling') },
                ]}
              />
            </Grid.Col>
            <Grid.Col span={{ base: 4, sm: 3 }}>{kind === 'rolling' && <TextInput label={t('tiers.days')} {...num(days, setDays)} />}</Grid.Col>
          </Grid>
        </Card>
        <Card>
          <Title order={3} fz="md">
            {t('tiers.levels')}
          </Title>
          <Text size="sm" c="dimmed" mb="md">
            {t('tiers.levelsHint')}
          </Text>
          <Table.ScrollContainer minWidth={720}>
            <Table verticalSpacing="xs" highlightOnHover={false}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('tiers.code')}</Table.Th>
                  <Table.Th>{t('tiers.nameFa')}</Table.Th>
                  <Table.Th>{t('tiers.nameEn')}</Table.Th>
                  <Table.Th>{measure === 'points' ? t('tiers.thresholdPoints') : t('tiers.thresholdRials')}</Table.Th>
                  <Table.Th>{t('tiers.multiplierCol')}</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {levels.map((l, i) => (
                  <Table.Tr key={i}>
                    <Table.Td>
                      <TextInput aria-label={t('tiers.code')} value={l.code} onChange={(e) => setLevel(i, { code: e.currentTarget.value.trim().toLowerCase() })} dir="ltr" w={110} error={tried && !codeOk(l.code)} />
                    </Table.Td>
                    <Table.Td>
                      <TextInput aria-label={t('tiers.nameFa')} value={l.nameFa} onChange={(e) => setLevel(i, { nameFa: e.currentTarget.value })} error={tried && !l.nameFa.trim()} />
                    </Table.Td>
                    <Table.Td>
                      <TextInput aria-label={t('tiers.nameEn')} value={l.nameEn} onChange={(e) => setLevel(i, { nameEn: e.currentTarget.value })} dir="ltr" />
                    </Table.Td>
                    <Table.Td>
                      <TextInput aria-label={t('tiers.threshold')} {...num(l.threshold, (s) => setLevel(i, { threshold: s }))} w={130} error={tried && i > 0 && !(int(l.threshold) > int(levels[i - 1]!.threshold))} />
                    </Table.Td>
                    <Table.Td>
                      <TextInput aria-label={t('tiers.multiplierCol')} value={f.digits(l.multiplier)} onChange={(e) => setLevel(i, { multiplier: normalizeDigits(e.currentTarget.value).replace(/[^\d.٫]/g, '') })} inputMode="decimal" w={90} error={tried && !(mult(l.multiplier) >= 1 && mult(l.multiplier) <= 10)} />
                    </Table.Td>
                    <Table.Td>
                      <ActionIcon variant="subtle" color="red" onClick={() => setLevels((rows) => rows.filter((_, j) => j !== i))} disabled={levels.length === 1} aria-label={t('tiers.removeLevel')}>
                        <IconTrash size={18} />
                      </ActionIcon>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          {tried && !rising && (
            <Text size="sm" c="red.8" mt="xs">
              {t('tiers.mustRise')}
            </Text>
          )}
          <Button
            mt="sm"
            variant="light"
            leftSection={<IconPlus size={16} />}
            disabled={levels.length >= 20}
            onClick={() => setLevels((rows) => [...rows, { code: '', nameFa: '', nameEn: '', threshold: String((int(rows.at(-1)?.threshold ?? '0') || 0) * 2 || 1000), multiplier: '1', keep: {} }])}
          >
            {t('tiers.addLevel')}
          </Button>
        </Card>
        <Card>
          <Title order={3} fz="md">
            {t('tiers.retentionTitle')}
          </Title>
          <Text size="sm" c="dimmed" mb="md">
            {t('tiers.retentionHint')}
          </Text>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <TextInput label={t('tiers.maxDown')} {...num(maxDown, setMaxDown)} />
            <TextInput label={t('tiers.inactiveMonths')} description={t('festival.form.optional')} {...num(inactiveMonths, setInactiveMonths)} />
            <TextInput label={t('tiers.inactiveDown')} {...num(inactiveDown, setInactiveDown)} disabled={!inactiveMonths} />
          </SimpleGrid>
        </Card>
        <Alert variant="light" color="gray">
          {t('tiers.applyNote')}
        </Alert>
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={busy}>
            {t('tiers.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

