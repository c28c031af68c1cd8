/**
 * HiBob (Bob), through the People API (apidocs.hibob.com): `POST /v1/people/search` with basic
 * auth as a service user (its id as user, its token as password). One call returns every
 * employee the service user may see, in one `employees` array (Bob does not page this endpoint);
 * `showInactive: true` is what brings leavers in at all, since the default is active employees
 * only. Bob allows 50 searches a minute and answers 429 beyond that; the wait it asks for is kept.
 *
 * Field ids are paths ("root.id", "work.title"); in the answer, root fields sit at the top of
 * each employee and the others nest by category. By default Bob answers machine values: a list
 * field (department, job title, employment type) is the list item's id. `humanReadable: "APPEND"`
 * adds a `humanReadable` node with the names (for fields that have a value), which is where
 * department, title and employment type are read from, while dates keep their ISO machine form. Unknown or unpermitted field ids are left out silently, so a
 * missing field reads as empty, never as an error.
 *
 * Which Bob field becomes which snapshot field:
 * - root.id -> sourceId (Bob's backend id); root.email -> workEmail.
 * - root.firstName + root.surname -> legalName; root.displayName -> preferredName when it differs.
 * - work.reportsTo (an object; its id) -> managerSourceId.
 * - work.title, work.department -> jobTitle, department (by name). Bob has no job family in the
 *   people fields: roles come from policy hr.titles.
 * - work.startDate -> startDate; employee.lastDayOfWork, else internal.terminationDate ->
 *   lastDayOfWork. An end date before the start date is left from an earlier employment of
 *   someone rehired under the same id: it is dropped, and only the lifecycle status (else
 *   internal.status) can then make the person terminated.
 * - internal.lifecycleStatus -> status: hired -> pre_hire, employed -> active, leave / furlough
 *   -> leave, terminated -> terminated, and garden leave -> terminated too: Bob itself announces
 *   garden leave with its "employee left" event, and access ends with it. Without a lifecycle
 *   status, internal.status Inactive -> terminated.
 * - payroll.employment.type (Permanent, Contractor, Intern...) -> workerType, by name: it is a
 *   list field too, so its machine value is a list item id and the name is in humanReadable.
 * - Bob gives no per-person time zone in these fields (a site has one, lifecycle changes happen
 *   at midnight there), so the organisation's zone is used; nor a change time, so asOf is now.
 */
import type { HrSource } from '../../model/schema.js';
import { requireEnv, requireHttps } from '../../providers/connector.js';
import { oktaResetMs, type RetryOptions } from '../../providers/retry.js';
import type { RawRecord, SnapshotProblem } from '../snapshot.js';
import type { HrAdapterContext, HrAdapterResult } from '../types.js';
import {
  basicAuth,
  compact,
  fullName,
  localToday,
  requestJson,
  sourceSettings,
  text,
  vendorDate,
} from './common.js';

type HiBobSource = Extract<HrSource, { kind: 'hibob' }>;

export const HIBOB_FIELDS = [
  'root.id',
  'root.email',
  'root.displayName',
  'root.firstName',
  'root.surname',
  'work.title',
  'work.department',
  'work.reportsTo',
  'work.startDate',
  'internal.status',
  'internal.lifecycleStatus',
  'internal.terminationDate',
  'employee.lastDayOfWork',
  'payroll.employment.type',
] as const;

/** One employee as the search answers it (machine values, plus the appended names). */
export interface BobEmployee {
  id?: string;
  email?: string | null;
  displayName?: string | null;
  firstName?: string | null;
  surname?: string | null;
  work?: {
    title?: string | null;
    department?: string | null;
    reportsTo?: { id?: string; email?: string; displayName?: string } | null;
    startDate?: string | null;
  };
  internal?: { status?: string | null; lifecycleStatus?: string | null; terminationDate?: string | null };
  employee?: { lastDayOfWork?: string | null };
  payroll?: { employment?: { type?: string | null } };
  humanReadable?: {
    work?: { title?: string | null; department?: string | null };
    payroll?: { employment?: { type?: string | null } };
  };
}

export async function fetchHiBob(
  ctx: HrAdapterContext & { retry?: Partial<RetryOptions> },
): Promise<HrAdapterResult> {
  const source = ctx.source as HiBobSource;
  requireHttps(sourceSettings(ctx), 'baseUrl', source.baseUrl);
  const user = requireEnv(ctx.env, source.serviceUserIdEnv, sourceSettings(ctx), 'serviceUserIdEnv');
  const token = requireEnv(ctx.env, source.tokenEnv, sourceSettings(ctx), 'tokenEnv');
  const auth = basicAuth(user, token);
  const body = (await requestJson(
    {
      method: 'POST',
      url: `${source.baseUrl.replace(/\/+$/, '')}/v1/people/search`,
      headers: { authorization: auth, accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ fields: HIBOB_FIELDS, showInactive: true, humanReadable: 'APPEND' }),
    },
    {
      source: ctx.name,
      vendor: 'HiBob',
      secrets: [token, auth],
      detail: (res, t) => {
        try {
          const j = JSON.parse(t) as { error?: unknown; message?: unknown };
          return typeof j.error === 'string'
            ? j.error
            : typeof j.message === 'string'
              ? j.message
              : undefined;
        } catch {
          return t.trim() || res.statusText;
        }
      },
      advice: (status) =>
        status === 401
          ? `Bob did not accept the service user in ${source.serviceUserIdEnv} with the token in ${source.tokenEnv}`
          : status === 403
            ? "the service user's permission group may not read People data (active and inactive employees)"
            : undefined,
      // Retry-After when Bob sends it; else the reset time of its rate-limit window.
      waitHint: (res, now) => oktaResetMs(res.headers.get('x-ratelimit-reset'), res.headers.get('date'), now),
      ...(ctx.retry ? { retry: ctx.retry } : {}),
    },
  )) as { employees?: unknown };
  if (!Array.isArray(body.employees)) {
    throw new Error(`hr source ${ctx.name}: Bob's people search did not answer { "employees": [...] }`);
  }
  return mapBobEmployees(ctx, body.employees as BobEmployee[]);
}

/** Search results -> raw hr-snapshot/v1 records. */
export function mapBobEmployees(ctx: HrAdapterContext, employees: readonly BobEmployee[]): HrAdapterResult {
  const source = ctx.source as HiBobSource;
  const p = source.idPrefix;
  const zone = (ctx.source as { timeZone?: string }).timeZone ?? ctx.orgTimeZone;
  const today = localToday(ctx.now, zone);
  const records: RawRecord[] = [];
  const problems: SnapshotProblem[] = [];
  for (const e of employees) {
    const id = text(e.id);
    if (!id) {
      problems.push({
        message: `a Bob employee has no id (${text(e.displayName) ?? text(e.email) ?? 'no name'})`,
      });
      continue;
    }
    const start = vendorDate(e.work?.startDate);
    // An end before the start belongs to an earlier employment (a rehire under the same id).
    const lastDay =
      notBefore(vendorDate(e.employee?.lastDayOfWork), start) ??
      notBefore(vendorDate(e.internal?.terminationDate), start);
    const lifecycle = (text(e.internal?.lifecycleStatus) ?? '').toLowerCase();
    const inactive = text(e.internal?.status)?.toLowerCase() === 'inactive';
    let status: 'pre_hire' | 'active' | 'leave' | 'terminated';
    if (/terminat|garden/.test(lifecycle) || (!lifecycle && inactive)) status = 'terminated';
    else if (/leave|furlough/.test(lifecycle)) status = 'leave';
    else if (/hired/.test(lifecycle) || (start !== null && start > today)) status = 'pre_hire';
    else status = 'active';
    const legal = fullName(e.firstName, e.surname);
    const display = text(e.displayName);
    // A list field: the raw value is a list item id, the name is in the humanReadable node.
    const employment =
      text(e.humanReadable?.payroll?.employment?.type) ?? text(e.payroll?.employment?.type) ?? '';
    const manager = text(e.work?.reportsTo?.id);
    records.push({
      value: compact({
        source: ctx.name,
        sourceId: `${p}${id}`,
        workerType: /contract|freelanc|contingent/i.test(employment)
          ? 'contractor'
          : /intern/i.test(employment)
            ? 'intern'
            : 'employee',
        status,
        legalName: legal ?? display,
        preferredName: display && display !== legal ? display : null,
        workEmail: text(e.email),
        managerSourceId: manager ? `${p}${manager}` : null,
        jobTitle: text(e.humanReadable?.work?.title) ?? text(e.work?.title),
        department: text(e.humanReadable?.work?.department) ?? text(e.work?.department),
        timeZone: zone,
        startDate: start,
        lastDayOfWork: lastDay,
        asOf: ctx.now.toISOString(),
      }),
    });
  }
  return { records, problems };
}

/** An end date, unless it falls before the start date: then it is an earlier employment's. */
function notBefore(end: string | null, start: string | null): string | null {
  return end !== null && start !== null && end < start ? null : end;
}
