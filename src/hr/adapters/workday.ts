/**
 * Workday, through a custom report served as a web service (Report-as-a-Service): `GET
 * reportUrl` (https://{host}/ccx/service/customreport2/{tenant}/{owner}/{report}?format=json)
 * with basic auth as an Integration System User. The answer is `{ "Report_Entry": [ ... ] }`,
 * the whole population in one response (RaaS does not page).
 *
 * Workday has no fixed worker shape here: the customer builds the report, and this adapter reads
 * the columns below by their web-service aliases (README "Connecting an HR system" > Workday is
 * the report definition to build; data source "All Active and Terminated Workers"):
 *
 * | Column                     | Snapshot field   | Why                                                   |
 * | -------------------------- | ---------------- | ----------------------------------------------------- |
 * | Employee_ID                | sourceId         | Workday's immutable worker id                         |
 * | Worker_Type                | workerType       | Employee, or Contingent Worker -> contractor          |
 * | Employee_Type              | workerType       | optional; Intern -> intern                            |
 * | Worker_Status              | status           | Active, On Leave, Terminated                          |
 * | Legal_Name                 | legalName        |                                                       |
 * | Preferred_Name             | preferredName    |                                                       |
 * | Email_-_Work               | workEmail        |                                                       |
 * | Manager_ID                 | managerSourceId  | the manager's Employee_ID                             |
 * | Job_Title                  | jobTitle         |                                                       |
 * | Job_Family                 | jobFamily        | mapped to a role by policy hr.jobFamilies             |
 * | Supervisory_Organization   | department       | else Cost_Center                                      |
 * | Time_Zone                  | timeZone         | the Time Zone ID (IANA, America/Los_Angeles)          |
 * | Hire_Date                  | startDate        | local date                                            |
 * | Last_Day_of_Work           | lastDayOfWork    | else Termination_Date                                 |
 * | Termination_Date           | (status)         | a termination date already past means terminated      |
 * | Previous_Worker_ID         | rehireOf         | the Employee_ID of an earlier employment              |
 * | Last_Updated               | asOf             | optional; a moment with offset                        |
 *
 * A Termination_Date or Last_Day_of_Work before Hire_Date (the latest hire) is left from an earlier
 * employment of a worker rehired under the same Employee_ID: it is dropped, and then only
 * Worker_Status can make the worker terminated.
 */
import type { HrSource } from '../../model/schema.js';
import { requireEnv, requireHttps } from '../../providers/connector.js';
import type { RetryOptions } from '../../providers/retry.js';
import type { RawRecord, SnapshotProblem } from '../snapshot.js';
import type { HrAdapterContext, HrAdapterResult } from '../types.js';
import {
  basicAuth,
  compact,
  localToday,
  requestJson,
  sourceSettings,
  text,
  vendorDate,
  vendorInstant,
} from './common.js';

type WorkdaySource = Extract<HrSource, { kind: 'workday' }>;

/** The report's columns, by web-service alias (the report definition a customer builds). */
export const WORKDAY_REPORT_FIELDS = [
  'Employee_ID',
  'Worker_Type',
  'Employee_Type',
  'Worker_Status',
  'Legal_Name',
  'Preferred_Name',
  'Email_-_Work',
  'Manager_ID',
  'Job_Title',
  'Job_Family',
  'Supervisory_Organization',
  'Cost_Center',
  'Time_Zone',
  'Hire_Date',
  'Termination_Date',
  'Last_Day_of_Work',
  'Previous_Worker_ID',
  'Last_Updated',
] as const;

export type WorkdayEntry = Partial<Record<(typeof WORKDAY_REPORT_FIELDS)[number], string>>;

export async function fetchWorkday(
  ctx: HrAdapterContext & { retry?: Partial<RetryOptions> },
): Promise<HrAdapterResult> {
  const source = ctx.source as WorkdaySource;
  requireHttps(sourceSettings(ctx), 'reportUrl', source.reportUrl);
  const user = requireEnv(ctx.env, source.usernameEnv, sourceSettings(ctx), 'usernameEnv');
  const password = requireEnv(ctx.env, source.passwordEnv, sourceSettings(ctx), 'passwordEnv');
  const url = new URL(source.reportUrl);
  // RaaS answers XML unless asked for JSON.
  if (url.searchParams.get('format')?.toLowerCase() !== 'json') url.searchParams.set('format', 'json');
  const auth = basicAuth(user, password);
  const body = (await requestJson(
    { method: 'GET', url: url.toString(), headers: { authorization: auth, accept: 'application/json' } },
    {
      source: ctx.name,
      vendor: 'Workday',
      secrets: [password, auth],
      detail: (_res, t) => errorText(t),
      advice: (status) =>
        status === 401
          ? `Workday did not accept the user in ${source.usernameEnv} with the password in ${source.passwordEnv}`
          : status === 403
            ? 'the integration system user may not run this report (share it with the ISU security group)'
            : status === 404
              ? 'no such report: check the owner and report name in reportUrl, and that the report is enabled as a web service'
              : undefined,
      ...(ctx.retry ? { retry: ctx.retry } : {}),
    },
  )) as { Report_Entry?: unknown };
  if (!Array.isArray(body.Report_Entry)) {
    throw new Error(
      `hr source ${ctx.name}: the Workday report did not answer { "Report_Entry": [...] }: is reportUrl a custom report served as JSON?`,
    );
  }
  return mapWorkdayEntries(ctx, body.Report_Entry as WorkdayEntry[]);
}

/** Report rows -> raw hr-snapshot/v1 records. */
export function mapWorkdayEntries(ctx: HrAdapterContext, entries: readonly WorkdayEntry[]): HrAdapterResult {
  const source = ctx.source as WorkdaySource;
  const p = source.idPrefix;
  const records: RawRecord[] = [];
  const problems: SnapshotProblem[] = [];
  entries.forEach((e, i) => {
    const id = text(e.Employee_ID);
    if (!id) {
      problems.push({
        message: `Workday Report_Entry ${i + 1} has no Employee_ID (${text(e.Legal_Name) ?? 'no name'})`,
      });
      return;
    }
    const zone = text(e.Time_Zone) ?? ctx.orgTimeZone;
    const today = localToday(ctx.now, zone);
    // Hire_Date is the latest hire. A rehire under the same Employee_ID can still carry the
    // earlier employment's Termination_Date / Last_Day_of_Work: an end before the hire belongs to
    // that employment and is dropped, so only Worker_Status can make such a worker terminated.
    const hire = vendorDate(e.Hire_Date);
    const termination = notBefore(vendorDate(e.Termination_Date), hire);
    const lastDay = notBefore(vendorDate(e.Last_Day_of_Work), hire) ?? termination;
    const workerStatus = text(e.Worker_Status) ?? '';
    const kind = `${text(e.Worker_Type) ?? ''} ${text(e.Employee_Type) ?? ''}`;
    const status =
      /terminat/i.test(workerStatus) || (termination !== null && termination < today)
        ? 'terminated'
        : /leave/i.test(workerStatus)
          ? 'leave'
          : hire !== null && hire > today
            ? 'pre_hire'
            : 'active';
    const manager = text(e.Manager_ID);
    const previous = text(e.Previous_Worker_ID);
    records.push({
      value: compact({
        source: ctx.name,
        sourceId: `${p}${id}`,
        workerType: /contingent|contractor/i.test(kind)
          ? 'contractor'
          : /intern/i.test(kind)
            ? 'intern'
            : 'employee',
        status,
        legalName: text(e.Legal_Name),
        preferredName: text(e.Preferred_Name),
        workEmail: text(e['Email_-_Work']),
        managerSourceId: manager ? `${p}${manager}` : null,
        jobTitle: text(e.Job_Title),
        jobFamily: text(e.Job_Family),
        department: text(e.Supervisory_Organization) ?? text(e.Cost_Center),
        timeZone: zone,
        startDate: hire,
        lastDayOfWork: lastDay,
        rehireOf: previous ? `${p}${previous}` : null,
        asOf: vendorInstant(e.Last_Updated) ?? ctx.now.toISOString(),
      }),
    });
  });
  return { records, problems };
}

/** An end date, unless it falls before the (latest) hire date: then it is an earlier employment's. */
function notBefore(end: string | null, hire: string | null): string | null {
  return end !== null && hire !== null && end < hire ? null : end;
}

/** Workday's error text: a JSON `error` when there is one, else the body's first line. */
function errorText(body: string): string | undefined {
  try {
    const j = JSON.parse(body) as { error?: unknown; errors?: { error?: unknown }[] };
    const e = j.error ?? j.errors?.[0]?.error;
    if (typeof e === 'string') return e;
  } catch {
    // not JSON: fall through to the text
  }
  const t = body.replace(/<[^>]+>/g, ' ').trim();
  return t === '' ? undefined : t;
}
