import { useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { ActionIcon, Anchor, Button, Card, Grid, Group, MultiSelect, SegmentedControl, Select, SimpleGrid, Stack, Switch, TagsInput, Text, TextInput, Textarea, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { normalizeDigits } from '../../shared/digits';
import { eventLabel, indicatorText } from '../../shared/festival';
import { useQuery } from '../../shared/hooks';
import { useI18n } from '../../shared/i18n';
import { IconChevronStart, IconPlus, IconTrash } from '../../shared/icons';
import { JalaliDateInput } from '../../shared/JalaliDateInput';
import { parseJalali, type JalaliDate } from '../../shared/jalali';
import type { Festival, Indicator } from '../../shared/types';
import { ErrorAlert, PageHeader } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useAdmin } from '../session';
import { useTierProgram } from '../components/tier-bits';

type IndRow = { eventType: string; score: string; per: 'event' | 'rials'; rials: string; min: string; cap: string };
type CatRow = { nameFa: string; nameEn: string; eventType: string; measure: 'count' | 'amount'; perRials: string };
type TopRow = { category: string; count: string; prizeFa: string; prizeEn: string };

const int = (s: string) => (/^\d+$/.test(s) ? Number(s) : NaN);
const digitsOnly = (s: string) => normalizeDigits(s).replace(/\D/g, '');
const emptyInd = (): IndRow => ({ eventType: 'purchase', score: '1', per: 'rials', rials: '1000000', min: '', cap: '' });

/** A category key the API accepts (lowercase snake case, unique, never `score`). */
function categoryKeys(rows: CatRow[]): string[] {
  const used = new Set<string>(['score']);
  return rows.map((r) => {
    const base = `${r.eventType}_${r.measure === 'amount' ? 'amount' : 'count'}`.replace(/[^a-z0-9_]/g, '_').slice(0, 34) || 'category';
    let key = base;
    for (let i = 2; used.has(key); i++) key = `${base}_${i}`;
    used.add(key);
    return key;
  });
}

function fromFestival(src: Festival) {
  return {
    nameFa: src.name.fa,
    nameEn: src.name.en,
    descFa: src.description?.fa ?? '',
    descEn: src.description?.en ?? '',
    groups: src.audience.groups,
    tiers: src.audience.tiers,
    enrolment: src.enrolment,
    indicators: src.indicators.map<IndRow>((i) => ({
      eventType: i.eventType,
      score: String(i.score),
      per: i.per === 'event' ? 'event' : 'rials',
      rials: i.per === 'event' ? '1000000' : String(i.per.rials),
      min: i.minAmountRials ? String(i.minAmountRials) : '',
      cap: i.maxPerEvent ? String(i.maxPerEvent) : '',
    })),
    categories: src.categories.map<CatRow>((c) => ({ nameFa: c.name?.fa ?? '', nameEn: c.name?.en ?? '', eventType: c.eventType, measure: c.measure, perRials: String(c.perRials ?? 10000) })),
    keys: src.categories.map((c) => c.key),
    stakingOn: src.staking !== null,
    ppc: String(src.staking?.pointsPerChance ?? 5),
    top: src.topPerformers.map<TopRow>((r) => ({ category: r.category, count: String(r.count), prizeFa: r.prize?.fa ?? '', prizeEn: r.prize?.en ?? '' })),
  };
}

/**
 * A new festival: window in Jalali dates, audience, enrolment, what earns festival score,
 * performance categories, points-for-chances and the top-performer prizes. `?from=<id>`
 * starts from an existing festival (next year's Nowruz league).
 */
export default function FestivalNewPage() {
  const { t } = useI18n();
  const f = useFormat();
  const { client } = useAdmin();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const fromId = params.get('from');
  const source = useQuery<Festival | null>(fromId ? `festival|${fromId}` : null, (signal) => client.get<Festival>(`/api/v1/festivals/${fromId}`, signal));
  if (fromId && source.loading) return null;
  return <FestivalForm key={source.data?.id ?? 'new'} source={source.data ?? null} onCreated={(id) => navigate(`/festivals/${id}`)} t={t} f={f} />;
}

function FestivalForm({ source, onCreated, t, f }: { source: Festival | null; onCreated: (id: string) => void; t: ReturnType<typeof useI18n>['t']; f: ReturnType<typeof useFormat> }) {
  const { client } = useAdmin();
  const { dir } = useI18n();
  const program = useTierProgram();
  const types = useQuery<string[]>('event-types', (signal) => client.get<{ builtIn: string[]; custom: { name: string }[] | string[] }>('/api/v1/event-types', signal).then((r) => [...r.builtIn, ...r.custom.map((c) => (typeof c === 'string' ? c : c.name))]));
  const init = useMemo(() => (source ? fromFestival(source) : null), [source]);
  const [nameFa, setNameFa] = useState(init?.nameFa ?? '');
  const [nameEn, setNameEn] = useState(init?.nameEn ?? '');
  const [descFa, setDescFa] = useState(init?.descFa ?? '');
  const [descEn, setDescEn] = useState(init?.descEn ?? '');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [groups, setGroups] = useState<string[]>(init?.groups ?? []);
  const [tiers, setTiers] = useState<string[]>(init?.tiers ?? []);
  const [enrolment, setEnrolment] = useState<'opt_in' | 'automatic'>(init?.enrolment ?? 'opt_in');
  const [indicators, setIndicators] = useState<IndRow[]>(init?.indicators ?? [emptyInd()]);
  const [categories, setCategories] = useState<CatRow[]>(init?.categories ?? []);
  const [stakingOn, setStakingOn] = useState(init?.stakingOn ?? false);
  const [ppc, setPpc] = useState(init?.ppc ?? '5');
  const [top, setTop] = useState<TopRow[]>(init?.top ?? []);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [tried, setTried] = useState(false);

  const keys = init && categories.length === init.categories.length ? init.keys : categoryKeys(categories);
  const typeOptions = (types.data ?? ['purchase']).map((x) => ({ value: x, label: eventLabel(x, t) }));
  const categoryOptions = [{ value: 'score', label: t('festival.category.score') }, ...categories.map((c, i) => ({ value: keys[i]!, label: c.nameFa || eventLabel(c.eventType, t) }))];

  const toIndicator = (r: IndRow): Indicator | null => {
    const score = int(r.score);
    if (!(score >= 1)) return null;
    if (r.per === 'rials' && !(int(r.rials) >= 1)) return null;
    return {
      eventType: r.eventType,
      score,
      per: r.per === 'event' ? 'event' : { rials: int(r.rials) },
      minAmountRials: r.min ? int(r.min) : 0,
      ...(r.cap ? { maxPerEvent: int(r.cap) } : {}),
    };
  };

  const dayNo = (d: JalaliDate | null) => (d ? d.jy * 10000 + d.jm * 100 + d.jd : 0);
  const windowError = parseJalali(from) && parseJalali(to) && dayNo(parseJalali(to)) < dayNo(parseJalali(from)) ? t('festival.form.toBeforeFrom') : undefined;
  const valid =
    nameFa.trim() !== '' &&
    parseJalali(from) !== null &&
    parseJalali(to) !== null &&
    !windowError &&
    indicators.length > 0 &&
    indicators.every((r) => toIndicator(r) !== null) &&
    (!stakingOn || int(ppc) >= 1) &&
    top.every((r) => int(r.count) >= 1);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (!valid) return;
    setBusy(true);
    setError(null);
    try {
      const created = await client.post<Festival>(
        '/api/v1/festivals',
        {
          name: { fa: nameFa.trim(), en: nameEn.trim() },
          ...(descFa.trim() || descEn.trim() ? { description: { fa: descFa.trim(), en: descEn.trim() } } : {}),
          window: { from, to },
          audience: { groups, tiers },
          enrolment,
          indicators: indicators.map(toIndicator),
          categories: categories.map((c, i) => ({ key: keys[i], eventType: c.eventType, measure: c.measure, ...(c.measure === 'amount' && int(c.perRials) >= 1 ? { perRials: int(c.perRials) } : {}), ...(c.nameFa.trim() ? { name: { fa: c.nameFa.trim(), en: c.nameEn.trim() } } : {}) })),
          staking: stakingOn ? { pointsPerChance: int(ppc) } : null,
          topPerformers: top.map((r) => ({ category: r.category, count: int(r.count), ...(r.prizeFa.trim() ? { prize: { fa: r.prizeFa.trim(), en: r.prizeEn.trim() } } : {}) })),
        },
        { 'idempotency-key': crypto.randomUUID() },
      );
      notifications.show({ color: 'teal', message: t('festival.created') });
      onCreated(created.id);
    } catch (err) {
      setError(err);
      window.scrollTo({ top: 0, behavior: 'smooth' });
    } finally {
      setBusy(false);
    }
  };

  const num = (v: string, set: (s: string) => void) => ({ value: f.digits(v), onChange: (e: React.ChangeEvent<HTMLInputElement>) => set(digitsOnly(e.currentTarget.value)), inputMode: 'numeric' as const });
  const moneyHint = (v: string) => (int(v) >= 1 ? f.money(int(v)) : undefined);
  const setInd = (i: number, patch: Partial<IndRow>) => setIndicators((rows) => rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const setCat = (i: number, patch: Partial<CatRow>) => setCategories((rows) => rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const setTopRow = (i: number, patch: Partial<TopRow>) => setTop((rows) => rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const levels = program.data?.levels ?? [];

  return (
    <form onSubmit={submit} noValidate>
      <PageHeader
        back={
          <Anchor component={Link} to="/festivals" size="sm" c="dimmed">
            <Group gap={4}>
              <IconChevronStart size={14} style={{ transform: `scaleX(${dir === 'rtl' ? -1 : 1})` }} />
              {t('nav.festivals')}
            </Group>
          </Anchor>
        }
        title={source ? t('festival.duplicateTitle', { name: f.name(source.name) }) : t('festival.new')}
        subtitle={t('festival.form.subtitle')}
      />
      <Stack gap="md" maw={980}>
        {error ? <ErrorAlert error={error} /> : null}
        <Section title={t('festival.form.basics')}>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label={t('festival.form.nameFa')} value={nameFa} onChange={(e) => setNameFa(e.currentTarget.value)} required error={tried && !nameFa.trim() ? t('festival.form.required') : undefined} data-autofocus />
            <TextInput label={t('festival.form.nameEn')} value={nameEn} onChange={(e) => setNameEn(e.currentTarget.value)} dir="ltr" />
            <Textarea label={t('festival.form.descFa')} value={descFa} onChange={(e) => setDescFa(e.currentTarget.value)} autosize minRows={2} />
            <Textarea label={t('festival.form.descEn')} value={descEn} onChange={(e) => setDescEn(e.currentTarget.value)} autosize minRows={2} dir="ltr" />
            <JalaliDateInput label={t('festival.form.from')} value={from} onChange={setFrom} required minYear={1400} error={tried && !parseJalali(from) ? t('jalali.invalid') : undefined} />
            <JalaliDateInput label={t('festival.form.to')} value={to} onChange={setTo} required minYear={1400} error={windowError ?? (tried && !parseJalali(to) ? t('jalali.invalid') : undefined)} description={t('festival.form.toHint')} />
          </SimpleGrid>
        </Section>

        <Section title={t('festival.form.audience')} hint={t('festival.form.audienceHint')}>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TagsInput label={t('member.groups')} description={t('member.groupsHint')} value={groups} onChange={(v) => setGroups(v.map((g) => g.trim().toLowerCase()).filter(Boolean))} clearable />
            {levels.length > 0 ? (
              <MultiSelect label={t('festival.form.tiers')} value={tiers} onChange={setTiers} data={levels.map((l) => ({ value: l.code, label: f.name({ fa: l.name.fa, en: l.name.en ?? '' }) }))} clearable />
            ) : (
              <TagsInput label={t('festival.form.tiers')} description={t('festival.form.tiersNone')} value={tiers} onChange={(v) => setTiers(v.map((g) => g.trim().toLowerCase()).filter(Boolean))} clearable />
            )}
          </SimpleGrid>
          <Stack gap={6} mt="md">
            <Text size="sm" fw={500} id="enrolment-label">
              {t('festival.form.enrolment')}
            </Text>
            <SegmentedControl
              aria-labelledby="enrolment-label"
              value={enrolment}
              onChange={(v) => setEnrolment(v as 'opt_in' | 'automatic')}
              data={[
                { value: 'opt_in', label: t('festival.enrolment.opt_in') },
                { value: 'automatic', label: t('festival.enrolment.automatic') },
              ]}
              style={{ alignSelf: 'flex-start' }}
            />
            <Text size="xs" c="dimmed">
              {t(enrolment === 'opt_in' ? 'festival.enrolment.opt_inHint' : 'festival.enrolment.automaticHint')}
            </Text>
          </Stack>
        </Section>

        <Section title={t('festival.form.indicators')} hint={t('festival.form.indicatorsHint')}>
          <Stack gap="md">
            {indicators.map((r, i) => {
              const ind = toIndicator(r);
              return (
                <Card key={i} withBorder padding="sm" radius="md" bg="gray.0">
                  <Grid gap="sm" align="flex-end">
                    <Grid.Col span={{ base: 12, sm: 4 }}>
                      <Select label={t('rules.trigger')} value={r.eventType} onChange={(v) => v && setInd(i, { eventType: v })} data={typeOptions} allowDeselect={false} searchable />
                    </Grid.Col>
                    <Grid.Col span={{ base: 6, sm: 2 }}>
                      <TextInput label={t('festival.form.score')} {...num(r.score, (s) => setInd(i, { score: s }))} error={tried && !(int(r.score) >= 1) ? t('festival.form.positive') : undefined} />
                    </Grid.Col>
                    <Grid.Col span={{ base: 6, sm: 2 }}>
                      <Select
                        label={t('festival.form.per')}
                        value={r.per}
                        onChange={(v) => v && setInd(i, { per: v as 'event' | 'rials' })}
                        allowDeselect={false}
                        data={[
                          { value: 'event', label: t('festival.form.perEvent') },
                          { value: 'rials', label: t('festival.form.perRials') },
                        ]}
                      />
                    </Grid.Col>
                    <Grid.Col span={{ base: 10, sm: 3 }}>
                      {r.per === 'rials' && <TextInput label={t('festival.form.everyRials')} description={moneyHint(r.rials)} {...num(r.rials, (s) => setInd(i, { rials: s }))} />}
                    </Grid.Col>
                    <Grid.Col span={{ base: 2, sm: 1 }}>
                      <ActionIcon variant="subtle" color="red" size="lg" disabled={indicators.length === 1} onClick={() => setIndicators((rows) => rows.filter((_, j) => j !== i))} aria-label={t('festival.form.removeIndicator')}>
                        <IconTrash size={18} />
                      </ActionIcon>
                    </Grid.Col>
                    <Grid.Col span={{ base: 6, sm: 4 }}>
                      <TextInput label={t('festival.form.minAmount')} description={moneyHint(r.min) ?? t('festival.form.optional')} {...num(r.min, (s) => setInd(i, { min: s }))} />
                    </Grid.Col>
                    <Grid.Col span={{ base: 6, sm: 4 }}>
                      <TextInput label={t('festival.form.cap')} description={t('festival.form.optional')} {...num(r.cap, (s) => setInd(i, { cap: s }))} />
                    </Grid.Col>
                  </Grid>
                  {ind && (
                    <Text size="sm" c="brand.8" mt="xs" fw={500}>
                      {indicatorText(ind, f, t)}
                    </Text>
                  )}
                </Card>
              );
            })}
            <Button variant="light" leftSection={<IconPlus size={16} />} onClick={() => setIndicators((rows) => [...rows, { ...emptyInd(), per: 'event', score: '10', eventType: typeOptions[1]?.value ?? 'purchase' }])} style={{ alignSelf: 'flex-start' }} disabled={indicators.length >= 20}>
              {t('festival.form.addIndicator')}
            </Button>
          </Stack>
        </Section>

        <Section title={t('festival.form.categories')} hint={t('festival.form.categoriesHint')}>
          <Stack gap="sm">
            {categories.map((c, i) => (
              <Group key={i} align="flex-end" gap="sm" wrap="wrap">
                <TextInput label={t('festival.form.categoryName')} value={c.nameFa} onChange={(e) => setCat(i, { nameFa: e.currentTarget.value })} placeholder={t('festival.form.categoryPlaceholder')} style={{ flex: 2, minWidth: 180 }} />
                <Select label={t('rules.trigger')} value={c.eventType} onChange={(v) => v && setCat(i, { eventType: v })} data={typeOptions} allowDeselect={false} searchable style={{ flex: 1, minWidth: 150 }} />
                <Select
                  label={t('festival.form.measure')}
                  value={c.measure}
                  onChange={(v) => v && setCat(i, { measure: v as 'count' | 'amount' })}
                  allowDeselect={false}
                  data={[
                    { value: 'count', label: t('festival.measure.count') },
                    { value: 'amount', label: t('festival.measure.amount') },
                  ]}
                  style={{ flex: 1, minWidth: 150 }}
                />
                {c.measure === 'amount' && <TextInput label={t('festival.form.unitRials')} description={moneyHint(c.perRials)} {...num(c.perRials, (v) => setCat(i, { perRials: v }))} w={150} />}
                <ActionIcon variant="subtle" color="red" size="lg" onClick={() => setCategories((rows) => rows.filter((_, j) => j !== i))} aria-label={t('festival.form.removeCategory')} mb={2}>
                  <IconTrash size={18} />
                </ActionIcon>
              </Group>
            ))}
            <Button variant="light" leftSection={<IconPlus size={16} />} onClick={() => setCategories((rows) => [...rows, { nameFa: '', nameEn: '', eventType: 'purchase', measure: 'count', perRials: '10000' }])} style={{ alignSelf: 'flex-start' }} disabled={categories.length >= 10}>
              {t('festival.form.addCategory')}
            </Button>
          </Stack>
        </Section>

        <Section title={t('festival.form.top')} hint={t('festival.form.topHint')}>
          <Stack gap="sm">
            {top.map((r, i) => (
              <Group key={i} align="flex-end" gap="sm" wrap="wrap">
                <Select label={t('festival.form.category')} value={r.category} onChange={(v) => v && setTopRow(i, { category: v })} data={categoryOptions} allowDeselect={false} style={{ flex: 1, minWidth: 160 }} />
                <TextInput label={t('festival.form.topCount')} {...num(r.count, (s) => setTopRow(i, { count: s }))} w={110} error={tried && !(int(r.count) >= 1) ? t('festival.form.positive') : undefined} />
                <TextInput label={t('festival.form.prize')} value={r.prizeFa} onChange={(e) => setTopRow(i, { prizeFa: e.currentTarget.value })} style={{ flex: 2, minWidth: 180 }} />
                <ActionIcon variant="subtle" color="red" size="lg" onClick={() => setTop((rows) => rows.filter((_, j) => j !== i))} aria-label={t('festival.form.removeTop')} mb={2}>
                  <IconTrash size={18} />
                </ActionIcon>
              </Group>
            ))}
            <Button variant="light" leftSection={<IconPlus size={16} />} onClick={() => setTop((rows) => [...rows, { category: 'score', count: '3', prizeFa: '', prizeEn: '' }])} style={{ alignSelf: 'flex-start' }} disabled={top.length >= 10}>
              {t('festival.form.addTop')}
            </Button>
          </Stack>
        </Section>

        <Section title={t('festival.form.staking')}>
          <Stack gap="sm">
            <Switch checked={stakingOn} onChange={(e) => setStakingOn(e.currentTarget.checked)} label={t('festival.form.stakingOn')} description={t('festival.form.stakingHint')} />
            {stakingOn && (
              <Group align="flex-end" gap="sm">
                <TextInput label={t('festival.form.ppc')} {...num(ppc, setPpc)} w={180} error={tried && !(int(ppc) >= 1) ? t('festival.form.positive') : undefined} />
                {int(ppc) >= 1 && (
                  <Text size="sm" c="brand.8" fw={500} pb={8}>
                    {t('festival.stakeRule', { n: f.num(int(ppc)) })}
                  </Text>
                )}
              </Group>
            )}
          </Stack>
        </Section>

        <Group justify="flex-end" gap="sm" pb="xl">
          <Button component={Link} to="/festivals" variant="default">
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={busy}>
            {t('festival.create')}
          </Button>
        </Group>
        {tried && !valid && (
          <Text size="sm" c="red.8" ta="end" role="alert">
            {t('festival.form.fixErrors')}
          </Text>
        )}
      </Stack>
    </form>
  );
}

function Section({ title, hint, children }: { title: string; hint?: string; children: ReactNode }) {
  return (
    <Card>
      <Title order={3} fz="md">
        {title}
      </Title>
      {hint && (
        <Text size="sm" c="dimmed" mt={4}>
          {hint}
        </Text>
      )}
      <div style={{ marginTop: 16 }}>{children}</div>
    </Card>
  );
}

