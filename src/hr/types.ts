/**
 * What `jml hr sync` works with: the adapters' contract (an HR system -> raw records) and the
 * events a snapshot becomes (one pull request each).
 */
import type { HrSource } from '../model/schema.js';
import type { RawRecord, SnapshotProblem } from './snapshot.js';

/** Fetches one HR system's workers as raw hr-snapshot/v1 records (validated afterwards). */
export interface HrAdapterContext {
  /** The source's name in policy/jml.yaml `hr.sources`. */
  name: string;
  source: HrSource;
  /** Where credentials are read (the variables the source names); never logged. */
  env: NodeJS.ProcessEnv;
  /** The repository root (a CSV source's file is relative to it). */
  root: string;
  /** The organisation's time zone: the fallback when the HR system gives a worker none. */
  orgTimeZone: string;
  /** When the snapshot is taken (becomes `asOf` where the system gives none). */
  now: Date;
}

export interface HrAdapterResult {
  records: RawRecord[];
  /** Records the adapter could not even turn into a raw record (a vendor row without an id). */
  problems: SnapshotProblem[];
}

export type HrAdapter = (ctx: HrAdapterContext) => Promise<HrAdapterResult>;

export type HrEventKind = 'joiner' | 'mover' | 'leaver' | 'rehire' | 'cancelled-termination' | 'correction';

/** One change a snapshot asks of people/: becomes one pull request. */
export interface HrEvent {
  event: HrEventKind;
  /** Person id: existing, or the one chosen for a joiner. */
  person: string;
  /** YYYY-MM-DD: the start, the move's date, or the leaver's last day (the worker's own date). */
  effective: string;
  /** For a leaver: the instant access ends (RFC 3339 with offset). */
  endInstant?: string;
  /** The HR record it comes from. */
  record: { source: string; sourceId: string; asOf: string };
  /** The people file after the change (whole text, comments kept), and before it when it existed. */
  file: { path: string; content: string; previous?: string };
  /** What changes, in sentences for the pull request ("manager: tomas.novak -> rachel.moreno"). */
  changes: string[];
  /** Person ids asked to review: the manager (a mover's old and new manager). */
  managers: string[];
  /** A leaver whose end instant has passed or falls inside the SLA window: cut access at once. */
  overdue: boolean;
  /** The end instant or start date lies before the sync: recorded after the fact. */
  backdated: boolean;
  highRisk: boolean;
  /** Person ids created by other events of the same sync that this one refers to (a new manager). */
  dependsOn: string[];
  /** Things a reviewer must know (a manager HR does not name). */
  notes: string[];
  /** Stable id of (source, sourceId, event, effective): the branch and the pull request's marker. */
  idempotencyKey: string;
}
