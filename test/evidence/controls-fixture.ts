/**
 * A small fixture for the missing-controls tests (test/evidence/controls.test.ts): the example
 * organisation's index, apply records built field by field and written with the record store's
 * own writer into a temp directory, read back with its reader, and the evidence input the pack's
 * builders take, with GitHub not read unless a test says otherwise.
 */
import { indexCheckout } from '../../src/engine/checkout.js';
import type { ApplyRecord, ChangeResult, DayOneState, TicketState } from '../../src/records/schema.js';
import { RECORD_SCHEMA } from '../../src/records/schema.js';
import {
  type RecordFile,
  readRecords,
  writeObservationRecord,
  writeRecord,
} from '../../src/records/store.js';
import type { EvidenceInput } from '../../src/report/evidence/types.js';
import type { RepoIndex } from '../../src/resolve/repo-index.js';
import { copyExample, tempDir } from '../engine/helpers.js';

export const NO_GITHUB = 'GITHUB_TOKEN and GITHUB_REPOSITORY are not set.';

/** The example organisation (policy timezone America/New_York), loaded. */
export function exampleIndex(): { dir: string; index: RepoIndex } {
  const dir = copyExample('jml-controls-');
  return { dir, index: indexCheckout(dir) };
}

/** One change, applied, at `at`. */
export function change(
  fields: Pick<ChangeResult, 'action' | 'person' | 'provider' | 'event'> & Partial<ChangeResult>,
  at: string,
): ChangeResult {
  const login = fields.login ?? `${fields.person}@example.com`;
  return {
    id: `${fields.provider}/${login}/${fields.action}${fields.entitlement ? `/${fields.entitlement}` : ''}`,
    login,
    startedAt: at,
    finishedAt: at,
    status: 'applied',
    ...fields,
  };
}

/** An apply record that started and finished at `at`, with these changes and extra fields. */
export function applyRecordAt(
  at: string,
  changes: ChangeResult[],
  extra: Partial<ApplyRecord> = {},
): ApplyRecord {
  return {
    schema: RECORD_SCHEMA,
    startedAt: at,
    finishedAt: at,
    trigger: { actor: 'jml-bot', command: 'jml apply --confirm', ci: true },
    commit: null,
    at,
    planFingerprint: `sha256:${'0'.repeat(63)}${changes.length % 10}`,
    result: 'applied',
    guards: [],
    counts: { applied: changes.length, unchanged: 0, failed: 0, skipped: 0 },
    changes,
    ...extra,
  };
}

/** A records directory: each record written by the store's writer. */
export class RecordsDir {
  readonly dir = tempDir('jml-controls-records-');

  write(record: ApplyRecord): this {
    writeRecord(this.dir, record);
    return this;
  }

  /** An observation record (ticket states, day-one states) as ticket-status and day-one-status write it. */
  observe(at: string, observed: { tickets?: TicketState[]; dayOne?: DayOneState[] }): this {
    writeObservationRecord(
      this.dir,
      { actor: 'jml-bot', command: 'jml github status', ci: true },
      new Date(at),
      observed,
    );
    return this;
  }

  read(): RecordFile[] {
    const { records, problems } = readRecords(this.dir);
    if (problems.length) throw new Error(`records that do not read: ${JSON.stringify(problems)}`);
    return records;
  }
}

/** The evidence input for [since, at], GitHub not read unless `github` fills its parts. */
export function evidenceInput(
  index: RepoIndex,
  records: RecordFile[],
  window: { since: string; at: string },
  github: Partial<Pick<EvidenceInput, 'issues' | 'dayOne' | 'githubGaps'>> = {},
): EvidenceInput {
  return {
    index,
    commit: null,
    at: Date.parse(window.at),
    since: Date.parse(window.since),
    records,
    recordProblems: [],
    policyHistory: [],
    exceptionHistory: [],
    exceptionTexts: new Map(),
    personHistory: new Map(),
    pullRequests: new Map(),
    issues: github.issues ?? new Map(),
    actual: [],
    githubGaps: github.githubGaps ?? (github.issues || github.dayOne ? [] : [NO_GITHUB]),
    reviews: [],
    ...(github.dayOne ? { dayOne: github.dayOne } : {}),
  };
}

export const HOUR = 3_600_000;

/** `iso` plus `hours`, as an ISO instant. */
export function plus(iso: string, hours: number): string {
  return new Date(Date.parse(iso) + hours * HOUR).toISOString();
}
