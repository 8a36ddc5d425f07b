import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { Alert, Anchor, Badge, Box, Button, Card, Code, Group, List, Paper, SimpleGrid, Skeleton, Stack, Table, Text, TextInput, ThemeIcon, Title } from '@mantine/core';
import { createClient } from '../../shared/api';
import { normalizeDigits } from '../../shared/digits';
import { canVerifyHere, checkDraw, type CheckResult } from '../../shared/drawVerify';
import { DrawStatusBadge, HashText, RefText, chanceRuleText, prizeFor, prizeRanks, publicJsonPath } from '../../shared/festival';
import { useQuery } from '../../shared/hooks';
import { useI18n } from '../../shared/i18n';
import { IconAlert, IconCheck, IconDownload, IconLock, IconSearch, IconShield, IconTicket, IconTrophy, IconX } from '../../shared/icons';
import { LogoMark } from '../../shared/Logo';
import type { PublishedDraw, Standing } from '../../shared/types';
import { ErrorAlert, LanguageToggle, Ltr, Pager } from '../../shared/ui';
import { useFormat } from '../../shared/useFormat';
import { useMemberSession } from '../session';
import classes from '../MemberLayout.module.css';

const PAGE = 25;
const publicClient = createClient(() => null, () => undefined);

/**
 * The public proof of a draw (no sign-in): the commitment published before entries closed,
 * the frozen masked entry list and its digest, the revealed seed and the winners, with a
 * check that runs in the browser and the steps to check it with `vafa draw verify`.
 */
export default function DrawPage() {
  const { id = '' } = useParams();
  const { t, locale } = useI18n();
  const f = useFormat();
  const { session, club, client } = useMemberSession();
  const q = useQuery<PublishedDraw>(`public-draw|${id}`, (signal) => publicClient.get<PublishedDraw>(publicJsonPath(id), signal));
  const d = q.data;
  // A signed-in member sees their own entry marked (their entry code, from the festival).
  const mine = useQuery<string | null>(session && d ? `my-entry|${d.festivalId}` : null, (signal) =>
    client.get<Standing>(`/api/v1/me/festivals/${d!.festivalId}`, signal).then((s) => s.entryRef, () => null),
  );
  const myRef = mine.data ?? null;
  const title = d ? (locale === 'en' && d.titleEn ? d.titleEn : d.title) : '';

  return (
    <div className={classes.shell}>
      <header className={classes.header}>
        <Group justify="space-between" wrap="nowrap" className={classes.inner}>
          <Group gap="xs" wrap="nowrap" component={session ? Link : 'div'} {...(session ? { to: '/' } : {})} style={{ textDecoration: 'none', color: 'inherit' }}>
            <LogoMark size={30} />
            <div>
              <Text fw={700} lh={1.1} data-testid="proof-club">
                {f.name(d?.clubName ?? club?.name) || t('brand.name')}
              </Text>
              <Text size="xs" c="dimmed" lh={1.1}>
                {t('proof.tagline')}
              </Text>
            </div>
          </Group>
          <Group gap="xs" wrap="nowrap">
            {!session && d?.club && (
              <Button component={Link} to={`/login?club=${encodeURIComponent(d.club)}`} size="xs" variant="light" data-testid="proof-join">
                {t('proof.join')}
              </Button>
            )}
            <LanguageToggle variant="subtle" />
          </Group>
        </Group>
      </header>
      <main className={classes.main} style={{ paddingBottom: 48 }}>
        <Box className={classes.inner}>
          {q.error ? (
            <ErrorAlert error={q.error} onRetry={q.reload} />
          ) : !d ? (
            <Stack>
              <Skeleton height={120} radius="xl" />
              <Skeleton height={200} radius="lg" />
            </Stack>
          ) : (
            <Stack gap="md">
              <Paper radius="xl" p="lg" c="white" style={{ background: 'linear-gradient(135deg, var(--mantine-color-brand-7) 0%, #1e3a8a 100%)' }}>
                <Group gap={6} mb={6}>
                  <IconShield size={18} />
                  <Text size="sm" fw={500} style={{ opacity: 0.9 }}>
                    {t('proof.kicker')}
                  </Text>
                </Group>
                <Title order={1} fz={22} c="white">
                  {title}
                </Title>
                {d.festivalName && (
                  <Text size="sm" mt={4} style={{ opacity: 0.9 }} data-testid="proof-festival">
                    {f.name(d.festivalName)}
                  </Text>
                )}
                <Group gap="xs" mt="sm">
                  <DrawStatusBadge status={d.status} />
                  <Badge variant="white" color="dark" tt="none">
                    {t(d.kind === 'final' ? 'draw.kind.final' : 'draw.kind.stage')}
                  </Badge>
                </Group>
                <SimpleGrid cols={3} mt="lg" spacing="xs">
                  <HeroFact label={t('draw.winners')} value={f.num(d.winners?.length ?? d.winnerCount)} testId="proof-winner-count" />
                  <HeroFact label={t('draw.entries')} value={d.entries ? f.num(d.entries.length) : '—'} testId="proof-entry-count" />
                  <HeroFact label={t('draw.totalChances')} value={d.totalChances !== undefined ? f.num(d.totalChances) : '—'} testId="proof-total-chances" />
                </SimpleGrid>
              </Paper>

              {d.status === 'cancelled' && (
                <Alert color="gray" variant="light" data-testid="proof-cancelled">
                  {t('proof.cancelled')}
                </Alert>
              )}
              <Text size="sm" c="dimmed">
                {chanceRuleText(d.rules.chances, f, t)}
                {d.rules.minScore > 1 ? `${t('common.sep')}${t('app.draw.minScore', { n: f.num(d.rules.minScore) })}` : ''}
                {d.rules.excludePastWinners ? `${t('common.sep')}${t('draw.excludePast')}` : ''}
              </Text>

              {d.status === 'drawn' && d.winners ? (
                <Winners doc={d} myRef={myRef} />
              ) : (
                d.prizes.length > 0 && (
                  <Group gap={6}>
                    {d.prizes.map((p, i) => (
                      <Badge key={i} variant="light" color="yellow" tt="none" size="lg">
                        {prizeRanks(p, f, t)}: {f.name(p.title)}
                      </Badge>
                    ))}
                  </Group>
                )
              )}

              <Card padding="md">
                <Title order={2} fz="md" mb="sm">
                  {t('proof.steps')}
                </Title>
                <Stack gap="lg">
                  <Step n={1} done title={t('proof.commitTitle')} when={d.commitmentPublishedAt ? t('proof.publishedAt', { at: f.date(d.commitmentPublishedAt, 'dateTime') }) : undefined}>
                    <Text size="sm" c="dimmed" mb={6}>
                      {t('proof.commitBody')}
                    </Text>
                    <HashText value={d.commitment} label={t('draw.commitment')} testId="proof-commitment" />
                  </Step>
                  <Step n={2} done={d.status !== 'scheduled'} title={t('proof.snapshotTitle')} when={d.snapshotAt ? t('proof.frozenAt', { at: f.date(d.snapshotAt, 'dateTime') }) : t('proof.freezesAt', { at: f.date(d.cutoffAt, 'dateTime') })}>
                    <Text size="sm" c="dimmed" mb={6}>
                      {t('proof.snapshotBody')}
                    </Text>
                    {d.entriesDigest ? <HashText value={d.entriesDigest} label={t('draw.digest')} testId="proof-digest" /> : <Pending text={t('proof.notYet')} />}
                  </Step>
                  <Step n={3} done={d.status === 'drawn'} title={t('proof.seedTitle')} when={d.drawnAt ? t('proof.drawnAt', { at: f.date(d.drawnAt, 'dateTime') }) : t('proof.drawsAt', { at: f.date(d.drawAt, 'dateTime') })}>
                    <Text size="sm" c="dimmed" mb={6}>
                      {t('proof.seedBody')}
                    </Text>
                    {d.seedHex ? <HashText value={d.seedHex} label={t('proof.seed')} testId="proof-seed" /> : <Pending text={t('proof.seedHidden')} />}
                  </Step>
                </Stack>
              </Card>

              <Verify doc={d} />
              {d.entries && <Entries doc={d} myRef={myRef} />}
              <HowTo id={d.drawId} />
            </Stack>
          )}
        </Box>
      </main>
    </div>
  );
}

function HeroFact({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <Paper radius="lg" p="xs" style={{ background: 'rgba(255,255,255,.14)' }} c="white" ta="center">
      <Text fw={800} fz="xl" className="vafa-num" data-testid={testId}>
        {value}
      </Text>
      <Text size="xs" style={{ opacity: 0.9 }}>
        {label}
      </Text>
    </Paper>
  );
}

function Step({ n, done, title, when, children }: { n: number; done: boolean; title: string; when?: string; children: React.ReactNode }) {
  const f = useFormat();
  return (
    <Group align="flex-start" gap="sm" wrap="nowrap">
      <ThemeIcon size={30} radius="xl" variant={done ? 'filled' : 'light'} color={done ? 'brand' : 'gray'}>
        {done ? <IconCheck size={16} /> : <Text size="sm" fw={700}>{f.num(n)}</Text>}
      </ThemeIcon>
      <div style={{ flex: 1, minWidth: 0 }}>
        <Group justify="space-between" gap={4}>
          <Text fw={700}>{title}</Text>
          {when && (
            <Text size="xs" c="dimmed">
              {when}
            </Text>
          )}
        </Group>
        {children}
      </div>
    </Group>
  );
}

function Pending({ text }: { text: string }) {
  return (
    <Group gap={6} c="dimmed">
      <IconLock size={16} />
      <Text size="sm">{text}</Text>
    </Group>
  );
}

function Winners({ doc, myRef }: { doc: PublishedDraw; myRef: string | null }) {
  const { t } = useI18n();
  const f = useFormat();
  const winners = doc.winners ?? [];
  const iWon = myRef ? winners.find((w) => w.ref === myRef) : undefined;
  return (
    <Card padding="md">
      <Group gap={6} mb="sm">
        <IconTrophy size={20} />
        <Title order={2} fz="md">
          {t('draw.winnerList')}
        </Title>
      </Group>
      {iWon && (
        <Alert color="yellow" variant="light" mb="sm" icon={<IconTrophy />} title={t('app.draw.wonRank', { rank: f.num(iWon.rank) })}>
          {t('proof.yourEntry')}
        </Alert>
      )}
      {winners.length === 0 ? (
        <Text size="sm" c="dimmed">
          {t('draw.noEntries')}
        </Text>
      ) : (
        <Table highlightOnHover={false} data-testid="proof-winners">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('draw.rank')}</Table.Th>
              <Table.Th>{t('draw.entry')}</Table.Th>
              <Table.Th ta="end">{t('draw.chances')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {winners.map((w) => {
              const prize = prizeFor(doc.prizes, w.rank);
              return (
                <Table.Tr key={w.rank} className={w.ref === myRef ? 'vafa-me-row' : undefined}>
                  <Table.Td w={56}>
                    <Badge circle size="lg" color={w.rank === 1 ? 'yellow' : w.rank === 2 ? 'gray' : 'orange'} variant={w.rank === 1 ? 'filled' : 'light'} className="vafa-num">
                      {f.num(w.rank)}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <RefText value={w.ref} strong />
                    {prize && (
                      <Text size="xs" c="dimmed">
                        {f.name(prize.title)}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td ta="end" className="vafa-num">
                    {w.chances !== undefined ? f.num(w.chances) : '—'}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      )}
    </Card>
  );
}

function Verify({ doc }: { doc: PublishedDraw }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<CheckResult | null>(null);
  const [failed, setFailed] = useState(false);
  const supported = canVerifyHere();
  const run = async () => {
    setBusy(true);
    setFailed(false);
    try {
      setResult(await checkDraw(doc));
    } catch {
      setFailed(true);
    } finally {
      setBusy(false);
    }
  };
  const rows: { key: 'commitment' | 'digest' | 'winners'; ok: string; bad: string; na: string }[] = [
    { key: 'commitment', ok: t('proof.check.commitmentOk'), bad: t('proof.check.commitmentBad'), na: t('proof.check.commitmentNa') },
    { key: 'digest', ok: t('proof.check.digestOk'), bad: t('proof.check.digestBad'), na: t('proof.check.digestNa') },
    { key: 'winners', ok: t('proof.check.winnersOk'), bad: t('proof.check.winnersBad'), na: t('proof.check.winnersNa') },
  ];
  const allOk = result && result.commitment === true && result.digest === true && result.winners === true && result.total !== false;
  return (
    <Card padding="md">
      <Group justify="space-between" wrap="nowrap" align="flex-start">
        <div>
          <Title order={2} fz="md">
            {t('proof.verifyTitle')}
          </Title>
          <Text size="sm" c="dimmed" mt={4}>
            {t('proof.verifyBody')}
          </Text>
        </div>
      </Group>
      {!supported ? (
        <Alert mt="sm" variant="light" color="gray" icon={<IconAlert />}>
          {t('proof.verifyUnsupported')}
        </Alert>
      ) : (
        <>
          <Button mt="md" onClick={run} loading={busy} leftSection={<IconShield size={18} />} variant={result ? 'light' : 'filled'}>
            {result ? t('proof.verifyAgain') : t('proof.verify')}
          </Button>
          {failed && (
            <Alert mt="sm" color="red" variant="light" icon={<IconAlert />}>
              {t('proof.verifyFailed')}
            </Alert>
          )}
          {result && (
            <Stack gap="xs" mt="md" data-testid="verify-result">
              {rows.map((r) => {
                const v = result[r.key];
                return (
                  <Group key={r.key} gap="xs" wrap="nowrap" align="flex-start">
                    <ThemeIcon size={22} radius="xl" color={v === true ? 'teal' : v === false ? 'red' : 'gray'} variant={v === null ? 'light' : 'filled'}>
                      {v === false ? <IconX size={14} /> : v === true ? <IconCheck size={14} /> : <IconLock size={12} />}
                    </ThemeIcon>
                    <Text size="sm" c={v === false ? 'red.8' : undefined}>
                      {v === true ? r.ok : v === false ? r.bad : r.na}
                    </Text>
                  </Group>
                );
              })}
              {allOk && (
                <Alert color="teal" variant="light" icon={<IconCheck />} mt="xs">
                  {t('proof.allOk')}
                </Alert>
              )}
            </Stack>
          )}
        </>
      )}
    </Card>
  );
}

function Entries({ doc, myRef }: { doc: PublishedDraw; myRef: string | null }) {
  const { t } = useI18n();
  const f = useFormat();
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const entries = useMemo(() => (doc.entries ?? []).map((e, i) => ({ ...e, n: i + 1 })), [doc.entries]);
  const q = normalizeDigits(search).trim().toLowerCase();
  const filtered = useMemo(() => (q ? entries.filter((e) => e.ref.toLowerCase().includes(q)) : entries), [entries, q]);
  const pages = Math.max(1, Math.ceil(filtered.length / PAGE));
  const current = Math.min(page, pages);
  const slice = filtered.slice((current - 1) * PAGE, current * PAGE);
  const winners = new Set((doc.winners ?? []).map((w) => w.ref));
  return (
    <Card padding="md">
      <Group gap={6}>
        <IconTicket size={20} />
        <Title order={2} fz="md">
          {t('proof.entriesTitle')}
        </Title>
      </Group>
      <Text size="sm" c="dimmed" mt={4} mb="sm">
        {t('proof.entriesBody')}
      </Text>
      <TextInput
        aria-label={t('proof.findEntry')}
        placeholder={t('proof.findEntryPlaceholder')}
        leftSection={<IconSearch size={16} />}
        value={search}
        onChange={(e) => {
          setSearch(e.currentTarget.value);
          setPage(1);
        }}
        dir="auto"
        mb="sm"
      />
      {myRef && (
        <Text size="xs" mb="xs">
          {t('proof.yourRef')} <RefText value={myRef} strong />
        </Text>
      )}
      <Table verticalSpacing={6} data-testid="proof-entries">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={56}>#</Table.Th>
            <Table.Th>{t('draw.entry')}</Table.Th>
            <Table.Th ta="end">{t('draw.chances')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {slice.map((e) => (
            <Table.Tr key={e.ref} className={e.ref === myRef ? 'vafa-me-row' : undefined}>
              <Table.Td c="dimmed" className="vafa-num">
                {f.num(e.n)}
              </Table.Td>
              <Table.Td>
                <RefText value={e.ref} />
                {winners.has(e.ref) && (
                  <Badge size="xs" color="yellow" ms={6} tt="none">
                    {t('proof.winner')}
                  </Badge>
                )}
              </Table.Td>
              <Table.Td ta="end" className="vafa-num">
                {f.num(e.chances)}
              </Table.Td>
            </Table.Tr>
          ))}
          {slice.length === 0 && (
            <Table.Tr>
              <Table.Td colSpan={3} ta="center" c="dimmed">
                {t('proof.noMatch')}
              </Table.Td>
            </Table.Tr>
          )}
        </Table.Tbody>
      </Table>
      <Pager page={current} hasPrev={current > 1} hasNext={current < pages} onPrev={() => setPage(current - 1)} onNext={() => setPage(current + 1)} />
      {pages > 1 && (
        <Text size="xs" c="dimmed" ta="center" mt={4}>
          {t('proof.pageOf', { n: f.num(current), of: f.num(pages), total: f.num(filtered.length) })}
        </Text>
      )}
    </Card>
  );
}

function HowTo({ id }: { id: string }) {
  const { t } = useI18n();
  return (
    <Card padding="md">
      <Title order={2} fz="md">
        {t('proof.howTitle')}
      </Title>
      <List type="ordered" size="sm" spacing="sm" mt="sm">
        <List.Item>{t('proof.how1')}</List.Item>
        <List.Item>{t('proof.how2')}</List.Item>
        <List.Item>{t('proof.how3')}</List.Item>
      </List>
      <Text size="sm" fw={600} mt="md">
        {t('proof.cliTitle')}
      </Text>
      <Code block mt={6} dir="ltr" style={{ textAlign: 'left', whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
        {`vafa draw verify draw-${id}.json`}
      </Code>
      <Text size="sm" c="dimmed" mt={6}>
        {t('proof.cliBody')} <Ltr>docs/draws.md</Ltr>
      </Text>
      <Group mt="md">
        <Button component="a" href={publicJsonPath(id)} download={`draw-${id}.json`} leftSection={<IconDownload size={18} />} variant="light">
          {t('draw.downloadJson')}
        </Button>
        <Anchor href={publicJsonPath(id)} target="_blank" rel="noopener" size="sm">
          {t('proof.openJson')}
        </Anchor>
      </Group>
    </Card>
  );
}
