/**
 * BambooHR, through its documented API (documentation.bamboohr.com): basic auth with the API key
 * as user and `x` as password, under `${baseUrl}/api/gateway.php/${subdomain}/v1/`.
 *
 * - The population is one custom report, `POST reports/custom?format=JSON` with the field list
 *   (it returns Active and Inactive employees alike, without paging). Its body must be sent with
 *   `Content-Type: application/json` exactly: anything else is parsed as XML and refused.
 * - `GET employees/changed?since=...` says who changed since a time (Inserted, Updated, Deleted)
 *   and the `latest` change it knows. With `since`, the adapter reads only those employees (the
 *   report's `lastChanged` filter) and reports the deleted ones as problems.
 * - Throttling is a 503 with Retry-After (a 429 from September 2026): both wait as told.
 *
 * Which BambooHR field becomes which snapshot field, and why:
 * - `id` -> sourceId: BambooHR's employee id is immutable (employeeNumber is company-assigned and
 *   editable, so it is never the key). A rehire keeps the same id, so rehireOf stays empty.
 * - `supervisorEId` -> managerSourceId: the supervisor's employee id, and only that (never looked
 *   up as an employeeNumber, which is editable). On a full read, a supervisorEId that is no
 *   employee's id leaves the record without a manager, with a problem naming the unknown id. An
 *   incremental read sees only who changed, so there only a supervisor reported Deleted is
 *   unknown; any other id is taken as it is.
 * - `status` (Active / Inactive) and `terminationDate` -> terminated: Inactive, or a termination
 *   date already past in the worker's zone. A termination date still ahead is a scheduled leaver
 *   (active, with lastDayOfWork). For an Active worker, a termination date before the hire date
 *   belongs to an earlier employment (a rehire keeps the id) and is ignored. An Inactive worker
 *   whose termination date is before the hire date never started: the offer looks withdrawn, so
 *   the record is skipped with a problem (a person removes the people file or corrects HR).
 * - `employmentHistoryStatus` (the account's own list: Full-Time, Contractor, Intern, Leave of
 *   Absence...) -> workerType (contract / intern in the name) and status leave ("leave" in it).
 * - `hireDate` -> startDate; a hire date still ahead is a pre-hire.
 * - `firstName` + `lastName` -> legalName; `preferredName` + `lastName` -> preferredName.
 * - `jobTitle`, `department`, `workEmail` as they are. BambooHR has no standard job family field:
 *   the report also asks for a field called `jobFamily`, which BambooHR leaves out silently when
 *   the account defines none (then roles come from policy hr.titles). `division` is an
 *   organisation level above the department, not a job family, so it is not passed off as one.
 * - `lastChanged` -> asOf (BambooHR's own change time). BambooHR keeps no time zone per worker:
 *   the source's timeZone, else the organisation's. Dates are local dates; unset ones come back
 *   as 0000-00-00 and are treated as empty.
 */
import type { HrSource } from '../../model/schema.js';
import { requireEnv, requireHttps } from '../../providers/connector.js';
import type { RetryOptions } from '../../providers/retry.js';
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
  vendorInstant,
} from './common.js';

type BambooSource = Extract<HrSource, { kind: 'bamboohr' }>;

/** The report's fields, by BambooHR's API field names. */
export const BAMBOOHR_FIELDS = [
  'id',
  'employeeNumber',
  'status',
  'employmentHistoryStatus',
  'firstName',
  'lastName',
  'preferredName',
  'workEmail',
  'jobTitle',
  'jobFamily',
  'department',
  'division',
  'supervisorEId',
  'hireDate',
  'originalHireDate',
  'terminationDate',
  'lastChanged',
] as const;

export type BambooEmployee = Partial<Record<(typeof BAMBOOHR_FIELDS)[number], string | null>>;

export interface BambooChange {
  id: string;
  action: 'Inserted' | 'Updated' | 'Deleted';
  lastChanged: string;
}

/** The context, plus an optional `since` for an incremental read. */
export interface BambooHrContext extends HrAdapterContext {
  since?: Date;
  retry?: Partial<RetryOptions>;
}

export interface BambooHrResult extends HrAdapterResult {
  /** With `since`: BambooHR's latest change time, the `since` of the next incremental read. */
  latest?: string;
}

interface Connection {
  base: string;
  headers: Record<string, string>;
  call: (method: 'GET' | 'POST', path: string, body?: unknown) => Promise<unknown>;
}

function connect(ctx: BambooHrContext): Connection {
  const source = ctx.source as BambooSource;
  requireHttps(sourceSettings(ctx), 'baseUrl', source.baseUrl);
  const key = requireEnv(ctx.env, source.apiKeyEnv, sourceSettings(ctx), 'apiKeyEnv');
  const base = `${source.baseUrl.replace(/\/+$/, '')}/api/gateway.php/${encodeURIComponent(source.subdomain)}/v1/`;
  const auth = basicAuth(key, 'x');
  const headers = { authorization: auth, accept: 'application/json' };
  return {
    base,
    headers,
    call: (method, path, body) =>
      requestJson(
        {
          method,
          url: new URL(path, base).toString(),
          // BambooHR reads a body as JSON only when the content type is exactly this.
          headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        },
        {
          source: ctx.name,
          vendor: 'BambooHR',
          secrets: [key, auth],
          detail: (res) => res.headers.get('x-bamboohr-error-message') ?? undefined,
          advice: (status) =>
            status === 401
              ? `BambooHR did not accept the API key in ${source.apiKeyEnv} (or the subdomain ${source.subdomain} is wrong)`
              : status === 403
                ? "the API key's user may not read these employees or fields (BambooHR access level)"
                : undefined,
          ...(ctx.retry ? { retry: ctx.retry } : {}),
        },
      ),
  };
}

/** Who changed since `since`: BambooHR's `employees/changed` (an ISO 8601 time with offset). */
export async function listChangedEmployees(
  ctx: BambooHrContext,
  since: Date,
): Promise<{ latest?: string; changes: BambooChange[] }> {
  const conn = connect(ctx);
  const body = (await conn.call(
    'GET',
    `employees/changed?${new URLSearchParams({ since: isoSeconds(since) })}`,
  )) as { latest?: string; employees?: Record<string, BambooChange> };
  return {
    ...(body.latest ? { latest: body.latest } : {}),
    changes: Object.values(body.employees ?? {}),
  };
}

export async function fetchBambooHr(ctx: BambooHrContext): Promise<BambooHrResult> {
  const conn = connect(ctx);
  const problems: SnapshotProblem[] = [];
  let latest: string | undefined;
  const filters: Record<string, unknown> = {};
  const changedAt = new Map<string, string>();
  const gone = new Set<string>();
  if (ctx.since) {
    const changed = await listChangedEmployees(ctx, ctx.since);
    latest = changed.latest;
    for (const c of changed.changes) {
      changedAt.set(String(c.id), c.lastChanged);
      if (c.action === 'Deleted') {
        gone.add(String(c.id));
        problems.push({
          sourceId: `${(ctx.source as BambooSource).idPrefix}${c.id}`,
          message: `BambooHR employee ${c.id} was deleted at ${c.lastChanged}: there is no record to sync; a person decides what happens to their people file`,
        });
      }
    }
    filters.lastChanged = { includeNull: 'no', value: isoSeconds(ctx.since) };
  }
  const report = (await conn.call('POST', 'reports/custom?format=JSON&onlyCurrent=true', {
    title: 'jml hr sync',
    fields: [
      ...BAMBOOHR_FIELDS.filter((f) => f !== 'jobFamily'),
      (ctx.source as BambooSource).jobFamilyField,
    ],
    ...(ctx.since ? { filters } : {}),
  })) as { employees?: BambooEmployee[] };
  const employees = report.employees ?? [];
  const mapped = mapBambooEmployees(ctx, employees, changedAt, ctx.since ? { partial: true, gone } : {});
  return {
    records: mapped.records,
    problems: [...problems, ...mapped.problems],
    ...(latest ? { latest } : {}),
  };
}

/**
 * How complete the rows are: by default they are the whole population, so a supervisorEId that
 * is none of their ids is unknown. `partial` rows are only the employees that changed (an
 * incremental read): a supervisor among them or not is taken as it is, unless `gone` (the ids
 * BambooHR reported Deleted) holds it.
 */
export interface BambooMapOptions {
  partial?: boolean;
  gone?: ReadonlySet<string>;
}

/** BambooHR's report rows -> raw hr-snapshot/v1 records (pure; exported for the fake's tests). */
export function mapBambooEmployees(
  ctx: HrAdapterContext,
  employees: readonly BambooEmployee[],
  changedAt: ReadonlyMap<string, string> = new Map(),
  options: BambooMapOptions = {},
): HrAdapterResult {
  const source = ctx.source as BambooSource;
  const zone = source.timeZone ?? ctx.orgTimeZone;
  const ids = new Set(employees.map((e) => text(e.id)).filter((id): id is string => id !== null));
  const known = (supervisor: string) =>
    !options.gone?.has(supervisor) && (options.partial === true || ids.has(supervisor));
  const records: RawRecord[] = [];
  const problems: SnapshotProblem[] = [];
  const today = localToday(ctx.now, zone);
  for (const e of employees) {
    const id = text(e.id);
    if (!id) {
      problems.push({
        message: `a BambooHR report row has no employee id (${fullName(e.firstName, e.lastName) ?? 'no name'})`,
      });
      continue;
    }
    const sourceId = `${source.idPrefix}${id}`;
    const name = fullName(e.firstName, e.lastName) ?? 'no name';
    const hire = vendorDate(e.hireDate);
    let end = vendorDate(e.terminationDate);
    const employment = text(e.employmentHistoryStatus) ?? '';
    const inactive = text(e.status)?.toLowerCase() === 'inactive';
    if (end && hire && end < hire) {
      if (inactive) {
        // Never started: BambooHR marks a rescinded offer Inactive with a date before the hire.
        problems.push({
          sourceId,
          message: `BambooHR employee ${id} (${name}) is Inactive with termination date ${end} before hire date ${hire}: the offer looks withdrawn (termination before hire), so the record is skipped; a person must remove the people file or correct HR`,
        });
        continue;
      }
      end = null; // an earlier employment's termination (a rehire keeps the id)
    }
    const status =
      inactive || (end !== null && end < today)
        ? 'terminated'
        : /leave/i.test(employment)
          ? 'leave'
          : hire !== null && hire > today
            ? 'pre_hire'
            : 'active';
    const supervisor = text(e.supervisorEId);
    let manager: string | null = null;
    if (supervisor !== null && known(supervisor)) manager = supervisor;
    else if (supervisor !== null) {
      problems.push({
        sourceId,
        message: `BambooHR employee ${id} (${name}) has supervisorEId ${supervisor}, which is no known employee id: the record is kept without a manager; set the supervisor in BambooHR`,
      });
    }
    const preferred = text(e.preferredName);
    records.push({
      value: compact({
        source: ctx.name,
        sourceId,
        workerType: /contract|contingent|freelanc|consultant/i.test(employment)
          ? 'contractor'
          : /intern/i.test(employment)
            ? 'intern'
            : 'employee',
        status,
        legalName: fullName(e.firstName, e.lastName),
        preferredName: preferred ? fullName(preferred, e.lastName) : null,
        workEmail: text(e.workEmail),
        managerSourceId: manager === null ? null : `${source.idPrefix}${manager}`,
        jobTitle: text(e.jobTitle),
        jobFamily: text((e as Record<string, string | null | undefined>)[source.jobFamilyField]),
        department: text(e.department),
        timeZone: zone,
        startDate: hire,
        lastDayOfWork: end,
        asOf: vendorInstant(e.lastChanged) ?? vendorInstant(changedAt.get(id)) ?? ctx.now.toISOString(),
      }),
    });
  }
  return { records, problems };
}

/** BambooHR's `since` format: yyyy-mm-ddThh:mm:ssZ (no milliseconds). */
function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
