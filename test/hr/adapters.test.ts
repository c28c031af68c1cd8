/**
 * Each HR adapter against a loopback fake of its vendor's API (or, for CSV, an export file): a
 * realistic population becomes records that pass validateRecords; ids carry the source's prefix;
 * throttling waits as the vendor asks; credentials are read from the variables policy names and
 * never appear in an error.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listChangedEmployees } from '../../src/hr/adapters/bamboohr.js';
import { fetchSnapshot } from '../../src/hr/adapters/index.js';
import { type HrRecord, validateRecords } from '../../src/hr/snapshot.js';
import type { HrAdapterContext } from '../../src/hr/types.js';
import { hrSource } from '../../src/model/schema.js';
import { BambooHrFake, type BambooRow } from '../fakes/hris/bamboohr-fake.js';
import { type BobRecord, HiBobFake } from '../fakes/hris/hibob-fake.js';
import { WorkdayFake, type WorkdayRow } from '../fakes/hris/workday-fake.js';

const NOW = new Date('2026-06-15T10:00:00Z');
const ROOT = path.resolve(import.meta.dirname, '../..');

function context(name: string, source: unknown, env: NodeJS.ProcessEnv): HrAdapterContext {
  return { name, source: hrSource.parse(source), env, root: ROOT, orgTimeZone: 'Europe/Berlin', now: NOW };
}

function byId(records: HrRecord[]): Map<string, HrRecord> {
  return new Map(records.map((r) => [r.sourceId, r]));
}

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a failure');
}

// ---------------------------------------------------------------------------------------------
// BambooHR

const BAMBOO_KEY = 'bhr-key-0c1d2e3f4a5b';

const bambooRows: BambooRow[] = [
  {
    id: '1',
    employeeNumber: 'E-1',
    status: 'Active',
    employmentHistoryStatus: 'Full-Time',
    firstName: 'Grace',
    lastName: 'Lin',
    preferredName: null,
    workEmail: 'grace.lin@example.com',
    jobTitle: 'Chief Executive Officer',
    department: 'Leadership',
    division: 'HQ',
    supervisorEId: null,
    hireDate: '2019-01-07',
    originalHireDate: '2019-01-07',
    lastChanged: '2026-06-01T08:00:00+00:00',
  },
  {
    id: '2',
    employeeNumber: 'E-2',
    status: 'Active',
    employmentHistoryStatus: 'Full-Time',
    firstName: 'Alice',
    lastName: 'Nguyen',
    preferredName: 'Ali',
    workEmail: 'alice.nguyen@example.com',
    jobTitle: 'Senior Backend Engineer',
    department: 'Engineering',
    division: 'Product',
    supervisorEId: '1',
    hireDate: '2021-05-17',
    lastChanged: '2026-06-10T09:30:00+00:00',
  },
  // The supervisor given as an employee number, as some accounts fill it: an editable key, never
  // looked up; the record comes without a manager and a problem names the unknown id.
  {
    id: '3',
    employeeNumber: 'E-3',
    status: 'Active',
    employmentHistoryStatus: 'Contractor',
    firstName: 'Tomas',
    lastName: 'Novak',
    workEmail: 'tomas.novak@example.com',
    jobTitle: 'Data Engineer',
    department: 'Engineering',
    supervisorEId: 'E-2',
    hireDate: '2025-02-03',
    terminationDate: '2026-12-31',
    lastChanged: '2026-06-02T10:00:00Z',
  },
  {
    id: '4',
    status: 'Active',
    employmentHistoryStatus: 'Intern',
    firstName: 'Mia',
    lastName: 'Chen',
    workEmail: 'mia.chen@example.com',
    jobTitle: 'Engineering Intern',
    department: 'Engineering',
    supervisorEId: '2',
    hireDate: '2026-06-01',
  },
  {
    id: '5',
    status: 'Active',
    employmentHistoryStatus: 'Full-Time',
    firstName: 'Rachel',
    lastName: 'Moreno',
    jobTitle: 'Account Executive',
    department: 'Sales',
    supervisorEId: '1',
    hireDate: '2026-07-01',
  },
  {
    id: '6',
    status: 'Active',
    employmentHistoryStatus: 'Leave of Absence',
    firstName: 'Ben',
    lastName: 'Carter',
    workEmail: 'ben.carter@example.com',
    jobTitle: 'Support Lead',
    department: 'Support',
    supervisorEId: '1',
    hireDate: '2020-03-02',
  },
  {
    id: '7',
    status: 'Inactive',
    employmentHistoryStatus: 'Terminated',
    firstName: 'Dana',
    lastName: 'Wolfe',
    workEmail: 'dana.wolfe@example.com',
    jobTitle: 'Recruiter',
    department: 'People',
    supervisorEId: '1',
    hireDate: '2018-09-10',
    terminationDate: '2026-05-29',
  },
  // A rehire keeps the BambooHR id; the old termination predates the new hire date.
  {
    id: '8',
    status: 'Active',
    employmentHistoryStatus: 'Full-Time',
    firstName: 'Omar',
    lastName: 'Haddad',
    workEmail: 'omar.haddad@example.com',
    jobTitle: 'Solutions Engineer',
    department: 'Sales',
    supervisorEId: '1',
    hireDate: '2026-06-08',
    originalHireDate: '2017-02-01',
    terminationDate: '2023-11-30',
  },
  // A rescinded offer: Inactive, terminated before the hire date that never came.
  {
    id: '10',
    status: 'Inactive',
    employmentHistoryStatus: 'Full-Time',
    firstName: 'Noah',
    lastName: 'Fischer',
    jobTitle: 'Account Executive',
    department: 'Sales',
    supervisorEId: '1',
    hireDate: '2026-07-06',
    terminationDate: '2026-06-03',
  },
];

describe('BambooHR', () => {
  const fake = new BambooHrFake('acme', BAMBOO_KEY);
  const source = (baseUrl: string, extra: Record<string, unknown> = {}) => ({
    kind: 'bamboohr',
    subdomain: 'acme',
    idPrefix: 'BHR-',
    baseUrl,
    ...extra,
  });
  const env = { BAMBOOHR_API_KEY: BAMBOO_KEY };
  beforeAll(async () => {
    await fake.start();
  });
  afterAll(() => fake.close());

  it('reads the whole population from one custom report, and every record passes the snapshot schema', async () => {
    fake.seed(bambooRows);
    const raw = await fetchSnapshot(context('bamboohr', source(fake.url), env));
    expect(raw.problems).toEqual([
      {
        sourceId: 'BHR-3',
        message:
          'BambooHR employee 3 (Tomas Novak) has supervisorEId E-2, which is no known employee id: the record is kept without a manager; set the supervisor in BambooHR',
      },
      {
        sourceId: 'BHR-10',
        message:
          'BambooHR employee 10 (Noah Fischer) is Inactive with termination date 2026-06-03 before hire date 2026-07-06: the offer looks withdrawn (termination before hire), so the record is skipped; a person must remove the people file or correct HR',
      },
    ]);
    const { records, problems } = validateRecords(raw.records);
    expect(problems).toEqual([]);
    expect(records).toHaveLength(8);
    const r = byId(records);
    expect(r.get('BHR-1')).toMatchObject({
      status: 'active',
      workerType: 'employee',
      legalName: 'Grace Lin',
      timeZone: 'Europe/Berlin',
      asOf: '2026-06-01T08:00:00.000Z',
    });
    expect(r.get('BHR-1')?.managerSourceId).toBeUndefined();
    expect(r.get('BHR-2')).toMatchObject({
      managerSourceId: 'BHR-1',
      preferredName: 'Ali Nguyen',
      legalName: 'Alice Nguyen',
    });
    expect(r.get('BHR-3')).toMatchObject({
      workerType: 'contractor',
      status: 'active',
      lastDayOfWork: '2026-12-31',
    });
    expect(r.get('BHR-3')?.managerSourceId).toBeUndefined();
    expect(r.has('BHR-10')).toBe(false);
    expect(r.get('BHR-4')).toMatchObject({ workerType: 'intern', asOf: NOW.toISOString() });
    expect(r.get('BHR-5')).toMatchObject({ status: 'pre_hire', startDate: '2026-07-01' });
    expect(r.get('BHR-6')?.status).toBe('leave');
    expect(r.get('BHR-7')).toMatchObject({ status: 'terminated', lastDayOfWork: '2026-05-29' });
    expect(r.get('BHR-8')).toMatchObject({ status: 'active', startDate: '2026-06-08' });
    expect(r.get('BHR-8')?.lastDayOfWork).toBeUndefined();
    expect(r.get('BHR-2')?.jobFamily).toBeUndefined();
    // Sent as BambooHR reads JSON; unset dates came back as 0000-00-00 and were taken as empty.
    expect(fake.reportRequests.at(-1)?.contentType).toBe('application/json');
    expect(fake.server.unknownRequests).toEqual([]);
  });

  it('uses the source time zone over the organisation zone, and a bad one makes every record a problem', async () => {
    fake.seed(bambooRows.slice(0, 2));
    const tokyo = await fetchSnapshot(context('bamboohr', source(fake.url, { timeZone: 'Asia/Tokyo' }), env));
    expect(validateRecords(tokyo.records).records.map((r) => r.timeZone)).toEqual([
      'Asia/Tokyo',
      'Asia/Tokyo',
    ]);
    const bad = await fetchSnapshot(context('bamboohr', source(fake.url, { timeZone: 'Tokyo' }), env));
    const checked = validateRecords(bad.records);
    expect(checked.records).toEqual([]);
    expect(checked.problems.map((p) => p.message)).toEqual([
      'timeZone Tokyo is not an IANA time zone (like Europe/Berlin)',
      'timeZone Tokyo is not an IANA time zone (like Europe/Berlin)',
    ]);
  });

  it('reads only what changed since a time, and reports deleted employees as problems', async () => {
    fake.seed(bambooRows);
    fake.insert({
      id: '9',
      status: 'Active',
      employmentHistoryStatus: 'Full-Time',
      firstName: 'Lena',
      lastName: 'Park',
      // Reports to someone deleted in the same window.
      supervisorEId: '6',
      hireDate: '2026-07-15',
      lastChanged: '2026-06-14T07:00:00Z',
    });
    fake.remove('6', '2026-06-13T12:00:00Z');
    const since = new Date('2026-06-05T00:00:00Z');
    const changes = await listChangedEmployees(context('bamboohr', source(fake.url), env), since);
    expect(changes.changes.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: '2', action: 'Updated', lastChanged: '2026-06-10T09:30:00+00:00' },
      { id: '6', action: 'Deleted', lastChanged: '2026-06-13T12:00:00Z' },
      { id: '9', action: 'Inserted', lastChanged: '2026-06-14T07:00:00Z' },
    ]);
    expect(changes.latest).toBe('2026-06-14T07:00:00Z');
    const result = await fetchSnapshot({
      ...context('bamboohr', source(fake.url), env),
      since,
    } as HrAdapterContext);
    const changed = byId(validateRecords(result.records).records);
    expect([...changed.keys()].sort()).toEqual(['BHR-2', 'BHR-9']);
    // Only the changed employees were read: a supervisor outside them is taken as it is, unless
    // BambooHR reported it deleted.
    expect(changed.get('BHR-2')?.managerSourceId).toBe('BHR-1');
    expect(changed.get('BHR-9')?.managerSourceId).toBeUndefined();
    expect(result.problems).toEqual([
      expect.objectContaining({
        sourceId: 'BHR-6',
        message: expect.stringMatching(/deleted at 2026-06-13T12:00:00Z/),
      }),
      {
        sourceId: 'BHR-9',
        message:
          'BambooHR employee 9 (Lena Park) has supervisorEId 6, which is no known employee id: the record is kept without a manager; set the supervisor in BambooHR',
      },
    ]);
    expect((result as { latest?: string }).latest).toBe('2026-06-14T07:00:00Z');
    expect(fake.reportRequests.at(-1)?.filters).toEqual({
      lastChanged: { includeNull: 'no', value: '2026-06-05T00:00:00Z' },
    });
  });

  it('waits as long as a 503 or 429 Retry-After says, then sends the same report again', async () => {
    fake.seed(bambooRows);
    for (const status of [503, 429] as const) {
      const before = fake.server.requests.length;
      fake.throttle(1, 1, status);
      const result = await fetchSnapshot(context('bamboohr', source(fake.url), env));
      expect(result.records).toHaveLength(8);
      const [throttled, retried] = fake.server.requests.slice(before);
      expect(throttled?.status).toBe(status);
      expect(retried?.status).toBe(200);
      expect(retried!.at - throttled!.at).toBeGreaterThanOrEqual(990);
    }
  });

  it('names the missing API key variable, and never shows a wrong key', async () => {
    expect(await failure(fetchSnapshot(context('bamboohr', source(fake.url), {})))).toMatch(
      /environment variable BAMBOOHR_API_KEY is not set .*hr\.sources\.bamboohr\.apiKeyEnv/,
    );
    const wrong = 'bhr-wrong-key-99887766';
    const message = await failure(
      fetchSnapshot(context('bamboohr', source(fake.url), { BAMBOOHR_API_KEY: wrong })),
    );
    expect(message).toMatch(
      /BambooHR POST .*reports\/custom answered 401 \(Your API key is missing or invalid\)/,
    );
    expect(message).not.toContain(wrong);
    expect(message).not.toContain(Buffer.from(`${wrong}:x`).toString('base64'));
  });

  it('refuses a plain-http base URL that is not loopback', async () => {
    expect(await failure(fetchSnapshot(context('bamboohr', source('http://api.bamboohr.com'), env)))).toMatch(
      /baseUrl http:\/\/api\.bamboohr\.com must use https/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Workday

const WD_USER = 'ISU_jml@acme';
const WD_PASSWORD = 'wd-pass-5e6f7a8b9c';

const workdayRows: WorkdayRow[] = [
  {
    Employee_ID: '21001',
    Worker_Type: 'Employee',
    Employee_Type: 'Regular',
    Worker_Status: 'Active',
    Legal_Name: 'Grace Lin',
    'Email_-_Work': 'grace.lin@example.com',
    Job_Title: 'Chief Executive Officer',
    Job_Family: 'Executive',
    Supervisory_Organization: 'Leadership',
    Time_Zone: 'America/New_York',
    Hire_Date: '2019-01-07',
    Last_Updated: '2026-06-01T08:00:00.000-07:00',
  },
  {
    Employee_ID: '21002',
    Worker_Type: 'Employee',
    Employee_Type: 'Regular',
    Worker_Status: 'Active',
    Legal_Name: 'Alice Nguyen',
    Preferred_Name: 'Ali Nguyen',
    'Email_-_Work': 'alice.nguyen@example.com',
    Manager_ID: '21001',
    Job_Title: 'Senior Backend Engineer',
    Job_Family: 'Engineering',
    Supervisory_Organization: 'Engineering',
    Time_Zone: 'Europe/Berlin',
    Hire_Date: '2021-05-17-07:00',
  },
  {
    Employee_ID: 'C-301',
    Worker_Type: 'Contingent Worker',
    Worker_Status: 'Active',
    Legal_Name: 'Tomas Novak',
    Manager_ID: '21002',
    Job_Title: 'Data Engineer',
    Job_Family: 'Engineering',
    Cost_Center: 'CC-400 Engineering',
    Time_Zone: 'Europe/Prague',
    Hire_Date: '2025-02-03',
    Termination_Date: '2026-12-31',
  },
  {
    Employee_ID: '21004',
    Worker_Type: 'Employee',
    Employee_Type: 'Intern (Fixed Term)',
    Worker_Status: 'Active',
    Legal_Name: 'Mia Chen',
    Manager_ID: '21002',
    Job_Title: 'Engineering Intern',
    Job_Family: 'Engineering',
    Supervisory_Organization: 'Engineering',
    Time_Zone: 'Asia/Singapore',
    Hire_Date: '2026-06-01',
  },
  {
    Employee_ID: '21005',
    Worker_Type: 'Employee',
    Worker_Status: 'Active',
    Legal_Name: 'Rachel Moreno',
    Manager_ID: '21001',
    Job_Title: 'Account Executive',
    Job_Family: 'Sales',
    Supervisory_Organization: 'Sales',
    Time_Zone: 'America/Los_Angeles',
    Hire_Date: '2026-07-01',
  },
  {
    Employee_ID: '21006',
    Worker_Type: 'Employee',
    Worker_Status: 'On Leave',
    Legal_Name: 'Ben Carter',
    Manager_ID: '21001',
    Job_Title: 'Support Lead',
    Job_Family: 'Support',
    Supervisory_Organization: 'Support',
    Time_Zone: 'Europe/London',
    Hire_Date: '2020-03-02',
  },
  {
    Employee_ID: '21007',
    Worker_Type: 'Employee',
    Worker_Status: 'Terminated',
    Legal_Name: 'Dana Wolfe',
    Manager_ID: '21001',
    Job_Title: 'Recruiter',
    Job_Family: 'People',
    Supervisory_Organization: 'People',
    Time_Zone: 'America/Chicago',
    Hire_Date: '2018-09-10',
    Termination_Date: '2026-05-31',
    Last_Day_of_Work: '2026-05-29',
  },
  {
    Employee_ID: '21010',
    Worker_Type: 'Employee',
    Worker_Status: 'Active',
    Legal_Name: 'Dana Wolfe',
    Manager_ID: '21001',
    Job_Title: 'Talent Partner',
    Job_Family: 'People',
    Supervisory_Organization: 'People',
    Time_Zone: 'America/Chicago',
    Hire_Date: '2026-06-08',
    Previous_Worker_ID: '21007',
  },
  {
    Employee_ID: '21011',
    Worker_Type: 'Employee',
    Worker_Status: 'Active',
    Legal_Name: 'Omar Haddad',
    Manager_ID: '21001',
    Job_Title: 'Solutions Engineer',
    Job_Family: 'Sales',
    Supervisory_Organization: 'Sales',
    Time_Zone: 'GMT-08:00 Pacific Time',
    Hire_Date: '2024-04-15',
  },
  // Rehired under the same Employee_ID: the earlier employment's dates are still on the row.
  {
    Employee_ID: '21012',
    Worker_Type: 'Employee',
    Worker_Status: 'Active',
    Legal_Name: 'Priya Shah',
    Manager_ID: '21002',
    Job_Title: 'Backend Engineer',
    Job_Family: 'Engineering',
    Supervisory_Organization: 'Engineering',
    Time_Zone: 'Europe/Berlin',
    Hire_Date: '2026-05-04',
    Termination_Date: '2023-09-29',
    Last_Day_of_Work: '2023-09-27',
  },
  // Terminated, with only a stale date from before the latest hire: the status alone says so.
  {
    Employee_ID: '21013',
    Worker_Type: 'Employee',
    Worker_Status: 'Terminated',
    Legal_Name: 'Lukas Berg',
    Manager_ID: '21001',
    Job_Title: 'Account Executive',
    Job_Family: 'Sales',
    Supervisory_Organization: 'Sales',
    Time_Zone: 'Europe/Berlin',
    Hire_Date: '2026-06-01',
    Termination_Date: '2022-03-31',
  },
  {
    Worker_Type: 'Employee',
    Worker_Status: 'Active',
    Legal_Name: 'Someone Without An Id',
    Hire_Date: '2024-04-15',
  },
];

describe('Workday', () => {
  const fake = new WorkdayFake('acme', 'ISU_jml', 'JML_Workers', { user: WD_USER, password: WD_PASSWORD });
  const env = { WORKDAY_USERNAME: WD_USER, WORKDAY_PASSWORD: WD_PASSWORD };
  const source = (reportUrl: string) => ({ kind: 'workday', idPrefix: 'WD-', reportUrl });
  beforeAll(async () => {
    await fake.start();
    fake.seed(workdayRows);
  });
  afterAll(() => fake.close());

  it('maps the report rows; a non-IANA time zone and a row without an id are problems', async () => {
    // The reportUrl may omit format=json: the adapter asks for JSON itself.
    const raw = await fetchSnapshot(
      context('workday', source(fake.reportUrl.replace('?format=json', '')), env),
    );
    expect(raw.problems).toEqual([
      { message: 'Workday Report_Entry 12 has no Employee_ID (Someone Without An Id)' },
    ]);
    const { records, problems } = validateRecords(raw.records);
    expect(problems).toEqual([
      {
        sourceId: 'WD-21011',
        message: 'timeZone GMT-08:00 Pacific Time is not an IANA time zone (like Europe/Berlin)',
      },
    ]);
    expect(records).toHaveLength(10);
    const r = byId(records);
    expect(r.get('WD-21001')).toMatchObject({
      source: 'workday',
      status: 'active',
      jobFamily: 'Executive',
      timeZone: 'America/New_York',
      asOf: '2026-06-01T15:00:00.000Z',
    });
    expect(r.get('WD-21001')?.managerSourceId).toBeUndefined();
    expect(r.get('WD-21002')).toMatchObject({
      managerSourceId: 'WD-21001',
      preferredName: 'Ali Nguyen',
      startDate: '2021-05-17',
      asOf: NOW.toISOString(),
    });
    expect(r.get('WD-C-301')).toMatchObject({
      workerType: 'contractor',
      department: 'CC-400 Engineering',
      lastDayOfWork: '2026-12-31',
      status: 'active',
    });
    expect(r.get('WD-21004')?.workerType).toBe('intern');
    expect(r.get('WD-21005')?.status).toBe('pre_hire');
    expect(r.get('WD-21006')?.status).toBe('leave');
    expect(r.get('WD-21007')).toMatchObject({ status: 'terminated', lastDayOfWork: '2026-05-29' });
    expect(r.get('WD-21010')).toMatchObject({ status: 'active', rehireOf: 'WD-21007' });
    expect(r.get('WD-21012')).toMatchObject({ status: 'active', startDate: '2026-05-04' });
    expect(r.get('WD-21012')?.lastDayOfWork).toBeUndefined();
    expect(r.get('WD-21013')).toMatchObject({ status: 'terminated', startDate: '2026-06-01' });
    expect(r.get('WD-21013')?.lastDayOfWork).toBeUndefined();
    expect(fake.server.unknownRequests).toEqual([]);
  });

  it('waits out a 429 with Retry-After and reads the report again', async () => {
    const before = fake.server.requests.length;
    fake.throttle(1, 1);
    const raw = await fetchSnapshot(context('workday', source(fake.reportUrl), env));
    expect(raw.records).toHaveLength(11);
    const [throttled, retried] = fake.server.requests.slice(before);
    expect([throttled?.status, retried?.status]).toEqual([429, 200]);
    expect(retried!.at - throttled!.at).toBeGreaterThanOrEqual(990);
  });

  it('names each missing credential variable, and a refused password never appears', async () => {
    expect(
      await failure(fetchSnapshot(context('workday', source(fake.reportUrl), { WORKDAY_USERNAME: WD_USER }))),
    ).toMatch(/environment variable WORKDAY_PASSWORD is not set/);
    expect(
      await failure(
        fetchSnapshot(context('workday', source(fake.reportUrl), { WORKDAY_PASSWORD: WD_PASSWORD })),
      ),
    ).toMatch(/environment variable WORKDAY_USERNAME is not set/);
    const wrong = 'wd-wrong-pass-123456';
    const message = await failure(
      fetchSnapshot(
        context('workday', source(fake.reportUrl), { WORKDAY_USERNAME: WD_USER, WORKDAY_PASSWORD: wrong }),
      ),
    );
    expect(message).toMatch(
      /answered 401 \(invalid username or password\): Workday did not accept the user in WORKDAY_USERNAME/,
    );
    expect(message).not.toContain(wrong);
  });

  it('refuses a plain-http report URL that is not loopback', async () => {
    expect(
      await failure(
        fetchSnapshot(
          context(
            'workday',
            source('http://wd2-impl-services1.workday.com/ccx/service/customreport2/acme/ISU/R'),
            env,
          ),
        ),
      ),
    ).toMatch(/reportUrl .* must use https/);
  });
});

// ---------------------------------------------------------------------------------------------
// HiBob

const BOB_USER = 'SERVICE-4242';
const BOB_TOKEN = 'bob-token-aa11bb22cc33';

const bobEmployees: BobRecord[] = [
  {
    id: '3332883884017713238',
    email: 'grace.lin@example.com',
    displayName: 'Grace Lin',
    firstName: 'Grace',
    surname: 'Lin',
    work: { title: '101', department: '209192163', reportsTo: null, startDate: '2019-01-07' },
    internal: { status: 'Active', lifecycleStatus: 'employed' },
    payroll: { employment: { type: '1' } },
  },
  {
    id: '3332883884017713239',
    email: 'alice.nguyen@example.com',
    displayName: 'Ali Nguyen',
    firstName: 'Alice',
    surname: 'Nguyen',
    work: {
      title: '102',
      department: '209192164',
      reportsTo: { id: '3332883884017713238', displayName: 'Grace Lin' },
      startDate: '2021-05-17',
    },
    internal: { status: 'Active', lifecycleStatus: 'employed' },
    payroll: { employment: { type: '1' } },
  },
  {
    id: '3332883884017713240',
    email: 'tomas.novak@example.com',
    displayName: 'Tomas Novak',
    firstName: 'Tomas',
    surname: 'Novak',
    work: {
      title: '103',
      department: '209192164',
      reportsTo: { id: '3332883884017713239' },
      startDate: '2025-02-03',
    },
    internal: { status: 'Active', lifecycleStatus: 'employed' },
    payroll: { employment: { type: '2' } },
  },
  {
    id: '3332883884017713241',
    email: 'mia.chen@example.com',
    firstName: 'Mia',
    surname: 'Chen',
    displayName: 'Mia Chen',
    work: {
      title: '104',
      department: '209192164',
      reportsTo: { id: '3332883884017713239' },
      startDate: '2026-06-01',
    },
    internal: { status: 'Active', lifecycleStatus: 'employed' },
    payroll: { employment: { type: '3' } },
  },
  {
    id: '3332883884017713242',
    firstName: 'Rachel',
    surname: 'Moreno',
    displayName: 'Rachel Moreno',
    work: {
      title: '105',
      department: '209192165',
      reportsTo: { id: '3332883884017713238' },
      startDate: '2026-07-01',
    },
    internal: { status: 'Active', lifecycleStatus: 'hired' },
  },
  {
    id: '3332883884017713243',
    email: 'ben.carter@example.com',
    firstName: 'Ben',
    surname: 'Carter',
    displayName: 'Ben Carter',
    work: {
      title: '106',
      department: '209192166',
      reportsTo: { id: '3332883884017713238' },
      startDate: '2020-03-02',
    },
    internal: { status: 'Active', lifecycleStatus: 'leave' },
  },
  {
    id: '3332883884017713244',
    email: 'dana.wolfe@example.com',
    firstName: 'Dana',
    surname: 'Wolfe',
    displayName: 'Dana Wolfe',
    work: {
      title: '107',
      department: '209192167',
      reportsTo: { id: '3332883884017713238' },
      startDate: '2018-09-10',
    },
    internal: { status: 'Inactive', lifecycleStatus: 'terminated', terminationDate: '2026-05-31' },
    employee: { lastDayOfWork: '2026-05-29' },
  },
  {
    id: '3332883884017713245',
    email: 'omar.haddad@example.com',
    firstName: 'Omar',
    surname: 'Haddad',
    displayName: 'Omar Haddad',
    work: {
      title: '108',
      department: '209192165',
      reportsTo: { id: '3332883884017713238' },
      startDate: '2024-04-15',
    },
    internal: { status: 'Active', lifecycleStatus: 'garden leave', terminationDate: '2026-07-31' },
    employee: { lastDayOfWork: '2026-06-12' },
  },
  // Rehired under the same id: the earlier employment's end dates are still there.
  {
    id: '3332883884017713246',
    email: 'priya.shah@example.com',
    firstName: 'Priya',
    surname: 'Shah',
    displayName: 'Priya Shah',
    work: {
      title: '102',
      department: '209192164',
      reportsTo: { id: '3332883884017713239' },
      startDate: '2026-05-04',
    },
    internal: { status: 'Active', lifecycleStatus: 'employed', terminationDate: '2023-09-29' },
    employee: { lastDayOfWork: '2023-09-27' },
    payroll: { employment: { type: '1' } },
  },
  // No lifecycle status (not permitted), Inactive, and only a stale end date: the status decides.
  {
    id: '3332883884017713247',
    firstName: 'Lukas',
    surname: 'Berg',
    displayName: 'Lukas Berg',
    work: {
      title: '105',
      department: '209192165',
      reportsTo: { id: '3332883884017713238' },
      startDate: '2026-06-01',
    },
    internal: { status: 'Inactive', terminationDate: '2022-03-31' },
  },
  { id: '', email: 'nobody@example.com', displayName: 'Nobody' },
];

const bobLists = {
  title: {
    '101': 'Chief Executive Officer',
    '102': 'Senior Backend Engineer',
    '103': 'Data Engineer',
    '104': 'Engineering Intern',
    '105': 'Account Executive',
    '106': 'Support Lead',
    '107': 'Recruiter',
    '108': 'Solutions Engineer',
  },
  department: {
    '209192163': 'Leadership',
    '209192164': 'Engineering',
    '209192165': 'Sales',
    '209192166': 'Support',
    '209192167': 'People',
  },
  employmentType: { '1': 'Permanent', '2': 'Contractor', '3': 'Intern' },
};

describe('HiBob', () => {
  const fake = new HiBobFake({ id: BOB_USER, token: BOB_TOKEN });
  const env = { HIBOB_SERVICE_USER_ID: BOB_USER, HIBOB_TOKEN: BOB_TOKEN };
  const source = (baseUrl: string) => ({ kind: 'hibob', idPrefix: 'BOB-', baseUrl });
  beforeAll(async () => {
    await fake.start();
    fake.seed(bobEmployees, bobLists);
  });
  afterAll(() => fake.close());

  it('searches active and inactive people at once and reads list fields by name', async () => {
    const raw = await fetchSnapshot(context('hibob', source(fake.url), env));
    expect(fake.searches.at(-1)).toMatchObject({ showInactive: true, humanReadable: 'APPEND' });
    expect(raw.problems).toEqual([{ message: 'a Bob employee has no id (Nobody)' }]);
    const { records, problems } = validateRecords(raw.records);
    expect(problems).toEqual([]);
    expect(records).toHaveLength(10);
    const r = byId(records);
    const id = (n: number) => `BOB-33328838840177132${n}`;
    expect(r.get(id(38))).toMatchObject({
      status: 'active',
      jobTitle: 'Chief Executive Officer',
      department: 'Leadership',
      timeZone: 'Europe/Berlin',
    });
    expect(r.get(id(38))?.managerSourceId).toBeUndefined();
    expect(r.get(id(39))).toMatchObject({
      managerSourceId: id(38),
      legalName: 'Alice Nguyen',
      preferredName: 'Ali Nguyen',
      department: 'Engineering',
    });
    // Employment type is a list field: named in humanReadable, a list item id otherwise.
    expect(r.get(id(38))?.workerType).toBe('employee');
    expect(r.get(id(40))?.workerType).toBe('contractor');
    expect(r.get(id(41))?.workerType).toBe('intern');
    expect(r.get(id(42))).toMatchObject({ status: 'pre_hire', startDate: '2026-07-01' });
    expect(r.get(id(43))?.status).toBe('leave');
    expect(r.get(id(44))).toMatchObject({ status: 'terminated', lastDayOfWork: '2026-05-29' });
    expect(r.get(id(45))).toMatchObject({ status: 'terminated', lastDayOfWork: '2026-06-12' });
    expect(r.get(id(46))).toMatchObject({
      status: 'active',
      startDate: '2026-05-04',
      workerType: 'employee',
    });
    expect(r.get(id(46))?.lastDayOfWork).toBeUndefined();
    expect(r.get(id(47))).toMatchObject({ status: 'terminated', startDate: '2026-06-01' });
    expect(r.get(id(47))?.lastDayOfWork).toBeUndefined();
    expect(fake.server.unknownRequests).toEqual([]);
  });

  it('answers employment type as Bob does: a list item id, named only in humanReadable', async () => {
    const res = await fetch(`${fake.url}/v1/people/search`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${BOB_USER}:${BOB_TOKEN}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ fields: ['root.id', 'payroll.employment.type'], humanReadable: 'APPEND' }),
    });
    const { employees } = (await res.json()) as {
      employees: { id: string; payroll?: unknown; humanReadable?: { payroll?: unknown } }[];
    };
    const tomas = employees.find((e) => e.id === '3332883884017713240');
    expect(tomas?.payroll).toEqual({ employment: { type: '2' } });
    expect(tomas?.humanReadable?.payroll).toEqual({ employment: { type: 'Contractor' } });
  });

  it('waits out a 429 and searches again', async () => {
    const before = fake.server.requests.length;
    fake.throttle(1, 1);
    const raw = await fetchSnapshot(context('hibob', source(fake.url), env));
    expect(raw.records).toHaveLength(10);
    const [throttled, retried] = fake.server.requests.slice(before);
    expect([throttled?.status, retried?.status]).toEqual([429, 200]);
    expect(retried!.at - throttled!.at).toBeGreaterThanOrEqual(990);
  });

  it('names the missing token variable, and a refused token never appears', async () => {
    expect(
      await failure(fetchSnapshot(context('hibob', source(fake.url), { HIBOB_SERVICE_USER_ID: BOB_USER }))),
    ).toMatch(/environment variable HIBOB_TOKEN is not set .*hr\.sources\.hibob\.tokenEnv/);
    const wrong = 'bob-wrong-token-55555';
    const message = await failure(
      fetchSnapshot(
        context('hibob', source(fake.url), { HIBOB_SERVICE_USER_ID: BOB_USER, HIBOB_TOKEN: wrong }),
      ),
    );
    expect(message).toMatch(
      /HiBob POST \/v1\/people\/search answered 401 \(Invalid service user credentials\)/,
    );
    expect(message).not.toContain(wrong);
  });
});

// ---------------------------------------------------------------------------------------------
// CSV

describe('CSV export', () => {
  const source = (file: string) => ({
    kind: 'csv',
    idPrefix: 'ACME-',
    file,
    columns: {
      sourceId: 'Employee Number',
      workerType: 'Worker Category',
      status: 'Employment Status',
      legalName: 'Full Legal Name',
      preferredName: 'Goes By',
      workEmail: 'Email',
      managerSourceId: 'Reports To',
      jobTitle: 'Title',
      jobFamily: 'Family',
      department: 'Dept',
      timeZone: 'TZ',
      startDate: 'Start',
      lastDayOfWork: 'Last Day',
      rehireOf: 'Previous ID',
    },
    values: {
      workerType: { Permanent: 'employee', Contractor: 'contractor', 'Student Intern': 'intern' },
      status: {
        Active: 'active',
        'Not started': 'pre_hire',
        'Leave of absence': 'leave',
        Terminated: 'terminated',
      },
    },
  });

  it('maps columns and translates values, with the file line on every record and problem', async () => {
    const raw = await fetchSnapshot(
      context('acme-export', source('test/fixtures/hr/acme-hris-export.csv'), {}),
    );
    expect(raw.problems).toEqual([
      { line: 11, message: "no Employee Number on this row: a worker needs the HR system's id" },
    ]);
    const { records, problems } = validateRecords(raw.records);
    expect(problems).toEqual([
      {
        line: 10,
        sourceId: 'ACME-1008',
        message: 'timeZone Mars/Olympus_Mons is not an IANA time zone (like Europe/Berlin)',
      },
    ]);
    expect(raw.records.map((r) => r.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const r = byId(records);
    expect(r.get('ACME-1000')).toMatchObject({
      source: 'acme-export',
      workerType: 'employee',
      status: 'active',
      asOf: NOW.toISOString(),
    });
    expect(r.get('ACME-1000')?.managerSourceId).toBeUndefined();
    expect(r.get('ACME-1001')).toMatchObject({
      managerSourceId: 'ACME-1000',
      preferredName: 'Ali Nguyen',
      jobFamily: 'Engineering',
    });
    expect(r.get('ACME-1002')).toMatchObject({ workerType: 'contractor', lastDayOfWork: '2026-12-31' });
    // "active" in lower case still matches the translation of "Active".
    expect(r.get('ACME-1003')).toMatchObject({ workerType: 'intern', status: 'active' });
    expect(r.get('ACME-1004')).toMatchObject({ status: 'pre_hire' });
    expect(r.get('ACME-1005')?.status).toBe('leave');
    expect(r.get('ACME-1006')).toMatchObject({ status: 'terminated', lastDayOfWork: '2026-05-29' });
    expect(r.get('ACME-1007')).toMatchObject({ rehireOf: 'ACME-1006' });
  });

  it('writes the source name set in policy on each record', async () => {
    const raw = await fetchSnapshot(
      context('acme-export', { ...source('test/fixtures/hr/acme-hris-export.csv'), source: 'personio' }, {}),
    );
    expect(new Set(raw.records.map((r) => (r.value as { source: string }).source))).toEqual(
      new Set(['personio']),
    );
  });

  it('refuses an export whose header lacks a mapped column, naming the column', async () => {
    const raw = await fetchSnapshot(
      context('acme-export', source('test/fixtures/hr/acme-hris-export-renamed.csv'), {}),
    );
    expect(raw.records).toEqual([]);
    expect(raw.problems[0]).toEqual({
      line: 1,
      message:
        'test/fixtures/hr/acme-hris-export-renamed.csv has no column "Employee Number" (hr.sources.acme-export.columns.sourceId); the header has: Worker ID, Worker Category, Employment Status, Full Legal Name, Start',
    });
    expect(raw.problems.map((p) => p.message.match(/no column "([^"]+)"/)?.[1])).toEqual([
      'Employee Number',
      'Goes By',
      'Email',
      'Reports To',
      'Title',
      'Family',
      'Dept',
      'TZ',
      'Last Day',
      'Previous ID',
    ]);
  });

  it('names a file it cannot read', async () => {
    expect(
      await failure(fetchSnapshot(context('acme-export', source('test/fixtures/hr/nope.csv'), {}))),
    ).toMatch(/cannot read test\/fixtures\/hr\/nope\.csv \(ENOENT\)/);
  });
});
