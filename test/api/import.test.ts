/**
 * `vafa members import file.csv` logic (importMembers): valid rows are kept, each bad row
 * is reported with its line number and reason, English or Persian headers.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines, testVafa, type TestVafa } from '../engines.js';
import { call, makeClub, makeMember, mobile, nationalCode, type ClubFixture } from '../fixtures.js';
import { importMembers, type ImportReport } from '../../src/modules/members/import.js';
import { makeSecrets } from '../../src/platform/crypto.js';

const fa = (s: string) => s.replace(/\d/g, (d) => String.fromCharCode(0x06f0 + Number(d)));
const badNationalCode = (n: number) => {
  const good = nationalCode(n);
  return good.slice(0, 9) + String((Number(good[9]) + 1) % 10);
};

describeEngines('members import (CSV)', (engine) => {
  let v: TestVafa;
  let c: ClubFixture;
  beforeAll(async () => {
    v = await testVafa(engine);
    c = await makeClub(v);
  });
  afterAll(() => v.close());

  const run = (csv: string, chunkSize?: number, onProgress?: (r: ImportReport) => void) =>
    importMembers(v.database.db, makeSecrets('test-secret'), c.clubId, Readable.from([csv]), { actor: 'operator:import-test', chunkSize, onProgress });
  const lookup = async (q: string) => call(v, 'GET', `/api/v1/members/lookup?${q}`, c.apiKey);

  it('keeps the valid rows and reports each bad row with its line and reason', async () => {
    await makeMember(v, c.clubId, 1_110_009); // already a member before the import
    const csv = [
      'mobile,national_code,first_name,last_name,birth_date,city,gender,groups,consent_sms,email',
      `${mobile(1_110_001)},${nationalCode(1_110_001)},Ali,Rezaei,1370/05/12,Tehran,m,doctor|VIP,yes,Ali@Example.ir`, // 2 ok
      '0912111000,,Bad,Mobile,,,,,,', // 3 short mobile
      `${mobile(1_110_002)},${badNationalCode(1_110_002)},Bad,Code,,,,,,`, // 4 check digit
      `${mobile(1_110_003)},,Bad,Date,1404/12/30,,,,,`, // 5 no such Jalali day
      `${mobile(1_110_001)},,Dup,Mobile,,,,,,`, // 6 same mobile as line 2
      `${mobile(1_110_009)},,Already,There,,,,,,`, // 7 member before the import
      `${fa(mobile(1_110_004))},,سارا,Digits,${fa('1371/01/01')},,f,,,`, // 8 ok, Persian digits
      ',,No,Mobile,,,,,,', // 9 no mobile
      `${mobile(1_110_005)},,Bad,Email,,,,,,not-an-email`, // 10 e-mail
      `${mobile(1_110_006)},${nationalCode(1_110_001)},Dup,Code,,,,,,`, // 11 same national code as line 2
      `${mobile(1_110_007)},,Bad,Gender,,,x,,,`, // 12 unknown gender
      `${mobile(1_110_008)},,Last,Good,,,,student,0,`, // 13 ok
    ].join('\n');
    const progress: ImportReport[] = [];
    const report = await run(csv, 2, (r) => progress.push(r));
    expect(report).toMatchObject({ rows: 12, imported: 3, failed: 9 });
    const reasons = Object.fromEntries(report.errors.map((e) => [e.line, e.reason.split(':')[0]]));
    expect(reasons).toEqual({
      3: 'invalid_mobile',
      4: 'invalid_national_code',
      5: 'invalid_date',
      6: 'member_exists',
      7: 'member_exists',
      9: 'validation_failed',
      10: 'validation_failed',
      11: 'member_exists',
      12: 'validation_failed',
    });
    expect(progress.length).toBeGreaterThan(1); // chunks of 2 report progress as they go
    expect(progress.at(-1)).toMatchObject({ imported: 3 });

    const ali = await lookup(`mobile=${mobile(1_110_001)}`);
    expect(ali.json).toMatchObject({
      firstName: 'Ali',
      lastName: 'Rezaei',
      birthDate: '1991-08-03',
      gender: 'male',
      groups: ['doctor', 'vip'],
      email: 'ali@example.ir',
      consent: { sms: true },
      joinedVia: 'import',
      nationalCodeMasked: `${nationalCode(1_110_001).slice(0, 3)}****${nationalCode(1_110_001).slice(-3)}`,
    });
    expect((await lookup(`nationalCode=${nationalCode(1_110_001)}`)).json.id).toBe(ali.json.id); // found by its national code
    expect((await lookup(`mobile=${mobile(1_110_004)}`)).json).toMatchObject({ firstName: 'سارا', birthDate: '1992-03-21', gender: 'female' });
    expect((await lookup(`mobile=${mobile(1_110_008)}`)).json).toMatchObject({ groups: ['student'], consent: { sms: false } });
    for (const n of [1_110_002, 1_110_003, 1_110_005, 1_110_006, 1_110_007]) expect((await lookup(`mobile=${mobile(n)}`)).status).toBe(404);
    expect((await lookup(`mobile=${mobile(1_110_009)}`)).json.firstName).toBeNull(); // the existing member is not overwritten

    const audit = await call(v, 'GET', '/api/v1/audit?limit=20', c.ownerToken);
    expect(audit.json.items.find((i: { action: string }) => i.action === 'members.imported')).toMatchObject({ actor: 'operator:import-test', after: { rows: 12, imported: 3, failed: 9 } });
  });

  it('reads Persian headers (Arabic letter forms too), a BOM and CRLF line ends', async () => {
    const csv =
      '\uFEFF' +
      [
        'موبایل,نام,نام خانوادگی,كد ملي,تاریخ تولد,جنسیت,گروه,شهر',
        `${fa(mobile(1_120_001))},مریم,احمدی,${fa(nationalCode(1_120_001))},${fa('1365/12/29')},زن,پزشک,اصفهان`,
        `${mobile(1_120_002)},رضا,کریمی,,1403/12/30,مرد,,تهران`,
        `${mobile(1_120_003)},بد,تاریخ,,1365/13/01,,,`,
      ].join('\r\n') +
      '\r\n';
    const report = await run(csv);
    expect(report).toMatchObject({ rows: 3, imported: 2, failed: 1 });
    expect(report.errors).toEqual([{ line: 4, reason: expect.stringMatching(/^invalid_date/) }]);
    const maryam = await lookup(`mobile=${mobile(1_120_001)}`);
    expect(maryam.json).toMatchObject({ firstName: 'مریم', lastName: 'احمدی', birthDate: '1987-03-20', gender: 'female', groups: ['پزشک'], city: 'اصفهان' });
    expect(maryam.json.nationalCodeMasked).not.toBeNull();
    expect((await lookup(`mobile=${mobile(1_120_002)}`)).json).toMatchObject({ birthDate: '2025-03-20', gender: 'male' });
  });

  it('an empty file or a header alone imports nothing and fails nothing', async () => {
    expect(await run('')).toMatchObject({ rows: 0, imported: 0, failed: 0, errors: [] });
    expect(await run('mobile,first_name\n')).toMatchObject({ rows: 0, imported: 0, failed: 0, errors: [] });
  });
});
