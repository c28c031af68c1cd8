/**
 * engine: the front half of every use case that reads providers. Load and validate (stop on
 * errors), take the connections from a trusted checkout, put the offboarding holds in force,
 * connect the providers; then read the actual state and plan. Nothing here prints: what the
 * user should hear comes back as notices and refusals, which the CLI renders
 * (src/cli/run-support.ts).
 */
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { gitCommit, gitTextArrival } from '../load/git.js';
import type { Diagnostic } from '../model/diagnostic.js';
import type { Hold } from '../model/holds.js';
import type { Policy, ProviderName } from '../model/schema.js';
import type { ActualState } from '../model/state.js';
import { buildPlan } from '../plan/build-plan.js';
import type { Plan } from '../plan/plan-types.js';
import { createProviders, loadConnectors, scopeFor } from '../providers/registry.js';
import type { Provider } from '../providers/types.js';
import { readHolds } from '../records/holds.js';
import { withHolds } from '../resolve/holds.js';
import type { RepoIndex } from '../resolve/repo-index.js';
import { resolveAll } from '../resolve/resolve.js';
import { checkRepository, TIME_DEPENDENT_RULES } from '../validate/validate.js';
import { CheckoutError, indexCheckout } from './checkout.js';
import type { EngineContext } from './context.js';

/** A repository ready to plan: validated, its holds in force, its providers connected. */
export interface Prepared {
  root: string;
  index: RepoIndex;
  at: number;
  commit: string | null;
  providers: Provider[];
  /** Emergency offboardings that people/ does not record yet, in force in `index`. */
  holds: Hold[];
  /**
   * The index as people/ records it, before the holds were put in force: what `jml hr sync`
   * compares the HR system with (a person cut off in an emergency is still employed there until
   * their pull request merges). `index` is this with `holds` in force.
   */
  recorded: RepoIndex;
  /** Each person's standing hold as the records directory holds it, in force or not (`holds`). */
  standing: ReadonlyMap<string, Hold>;
  /**
   * With `connectionsFrom`: the providers whose section of policy/jml.yaml the checkout changes
   * (and which were therefore connected as the base checkout declares them). Empty otherwise.
   */
  connectionsOverridden: string[];
}

export interface PrepareRequest {
  /** The policy repository: a checkout. */
  root: string;
  /**
   * The instant to plan at, or a function of the organisation's time zone that gives it (so that
   * `--at 2027-02-01` means midnight there; the zone is undefined when policy/jml.yaml has none).
   */
  at: number | ((zone: string | undefined) => number);
  /** Only this provider (`--provider`); it must be configured. */
  only?: ProviderName;
  /**
   * (jml plan --base) A checkout of the base branch, whose policy/jml.yaml supplies the provider
   * connections (URLs, tenant and client ids, the names of the credential variables, embedded
   * directory files, resolved in that checkout) and the records directory (the offboarding
   * holds). Everything else (people, roles, exceptions, the catalog, the other policy values)
   * comes from `root`. A pull request's head is not trusted with credentials: one that pointed
   * `providers.okta.orgUrl` or `providers.entra.authorityUrl` at its own server would otherwise
   * receive the Okta client assertion or the replayable GitHub OIDC token of the job.
   */
  connectionsFrom?: string;
  /**
   * Whether to connect the providers (default true). False prepares to look, not to write:
   * `providers` is empty and `commit` null (only the records of writes name it) until
   * `connectProviders`. A use case that writes to providers only on some runs (`jml hr sync` cuts
   * an overdue leaver) then needs no provider credentials on the others, and runs no git.
   */
  connect?: boolean;
}

/** What prepare tells the user on the way, in the order it happened; none of it stops the run. */
export type PrepareNotice =
  /**
   * Errors that appear only because time passed (an exception lapsed, a manager left): they fail
   * review in `jml validate`, but never stop the scheduled apply, since a leaver's disable cannot
   * wait for someone to tidy up a file. Given only when no other error stops the run.
   */
  | { kind: 'time-dependent'; diagnostics: Diagnostic[] }
  /** An offboarding record that cannot be read: its person stays held (records/holds.ts, fail closed). */
  | { kind: 'unreadable-hold'; file: string; problem: string }
  /** An emergency offboarding that people/ does not record yet, in force for this run. */
  | { kind: 'hold-in-force'; hold: Hold }
  /**
   * `jml validate`'s warnings (an exception expiring soon, one a move ends): they never stop a
   * run; the plan comment shows them to the reviewer, other commands leave them to jml validate.
   */
  | { kind: 'warnings'; diagnostics: Diagnostic[] };

/** Why nothing was prepared (or, for `failed`, why the use case stopped after preparing). */
export type PrepareRefusal =
  /** The repository has errors: every diagnostic, for the CLI to show as `jml validate` would. */
  | { kind: 'invalid'; diagnostics: Diagnostic[] }
  /** `connectionsFrom` is not a readable checkout; `message` says which and why. */
  | { kind: 'base-unreadable'; message: string }
  /** `only` names a provider that the policy in force does not configure; `where` names that file. */
  | { kind: 'provider-not-configured'; provider: ProviderName; where: string }
  /**
   * An infrastructure failure (a provider that cannot connect or be read, a file that cannot be
   * written) after some notices were gathered: the notices are still shown, then the error.
   */
  | { kind: 'failed'; error: unknown };

export interface Refused {
  ok: false;
  refusal: PrepareRefusal;
  notices: PrepareNotice[];
}

/** A use case's outcome: refused, or its own result `T` with the repository it prepared. */
export type EngineOutcome<T extends object = object> =
  | Refused
  | ({ ok: true; prepared: Prepared; notices: PrepareNotice[] } & T);

export type PrepareOutcome = EngineOutcome;

/**
 * Loads and validates the repository at `req.root`, puts the offboarding holds in force and
 * connects the providers. A repository with errors is refused with its diagnostics (nothing is
 * planned or applied from it); errors that only time caused are a notice instead.
 */
export async function prepare(ctx: EngineContext, req: PrepareRequest): Promise<PrepareOutcome> {
  const root = path.resolve(req.root);
  const notices: PrepareNotice[] = [];
  // --- load and validate -------------------------------------------------------------------
  const checked = checkRepository(root, req.at);
  const blocking = checked.diagnostics.filter(
    (d) => d.severity === 'error' && !TIME_DEPENDENT_RULES.has(d.rule),
  );
  const lapsed = checked.diagnostics.filter(
    (d) => d.severity === 'error' && TIME_DEPENDENT_RULES.has(d.rule),
  );
  if (lapsed.length && blocking.length === 0) notices.push({ kind: 'time-dependent', diagnostics: lapsed });
  const warnings = checked.diagnostics.filter((d) => d.severity === 'warning');
  if (warnings.length) notices.push({ kind: 'warnings', diagnostics: warnings });
  if (blocking.length > 0 || !checked.index) {
    return { ok: false, refusal: { kind: 'invalid', diagnostics: checked.diagnostics }, notices };
  }
  let index = checked.index;
  try {
    // --- where the connections and the records come from: this checkout, or the base's -----
    let trustedRoot = root;
    let overridden: string[] = [];
    if (req.connectionsFrom !== undefined) {
      trustedRoot = path.resolve(req.connectionsFrom);
      let base: RepoIndex;
      try {
        base = indexCheckout(
          trustedRoot,
          undefined,
          ', so the provider connections to plan with are unknown',
        );
      } catch (e) {
        if (!(e instanceof CheckoutError)) throw e;
        return { ok: false, refusal: { kind: 'base-unreadable', message: e.message }, notices };
      }
      overridden = changedProviders(index.policy, base.policy);
      index = {
        ...index,
        policy: { ...index.policy, providers: base.policy.providers, records: base.policy.records },
      };
    }
    const { only } = req;
    if (only && only !== 'local' && !index.policy.providers[only]) {
      const where =
        req.connectionsFrom !== undefined ? "the base checkout's policy/jml.yaml" : 'policy/jml.yaml';
      return { ok: false, refusal: { kind: 'provider-not-configured', provider: only, where }, notices };
    }
    // --- the offboarding holds --------------------------------------------------------------
    const recorded = index;
    const heldDir = recordsDir(trustedRoot, index);
    const read = readHolds(heldDir);
    for (const p of read.problems) {
      const file = path.relative(root, path.join(heldDir, p.file));
      notices.push({ kind: 'unreadable-hold', file, problem: p.problem });
    }
    const held = withHolds(index, read.holds);
    index = held.index;
    for (const hold of held.applied) notices.push({ kind: 'hold-in-force', hold });
    // --- the providers ----------------------------------------------------------------------
    const at = typeof req.at === 'number' ? req.at : req.at(index.policy.timezone);
    const prepared: Prepared = {
      root,
      index,
      at,
      commit: req.connect === false ? null : gitCommit(root),
      providers: req.connect === false ? [] : await connectAll(ctx, trustedRoot, index.policy, only),
      holds: held.applied,
      recorded,
      standing: read.holds,
      connectionsOverridden: overridden,
    };
    return { ok: true, prepared, notices };
  } catch (error) {
    return { ok: false, refusal: { kind: 'failed', error }, notices };
  }
}

/**
 * Prepares, then runs `use` on the prepared repository. A refusal comes back as it is; a throw in
 * `use` (an infrastructure failure) comes back as a `failed` refusal with prepare's notices, so
 * that the user hears them before the error. `use` is given the notices too, for a use case that
 * tells its caller something before it ends (jml leavers, before it waits).
 */
export async function withPrepared<T extends object>(
  ctx: EngineContext,
  req: PrepareRequest,
  use: (p: Prepared, notices: readonly PrepareNotice[]) => Promise<T>,
): Promise<EngineOutcome<T>> {
  const prepared = await prepare(ctx, req);
  if (!prepared.ok) return prepared;
  try {
    return { ...prepared, ...(await use(prepared.prepared, prepared.notices)) };
  } catch (error) {
    return { ok: false, refusal: { kind: 'failed', error }, notices: prepared.notices };
  }
}

/** The providers (local, entra, ...) whose policy/jml.yaml section differs between two policies. */
function changedProviders(head: Policy, base: Policy): string[] {
  const names = new Set([...Object.keys(head.providers), ...Object.keys(base.providers)]);
  return [...names]
    .filter(
      (n) =>
        !isDeepStrictEqual(
          head.providers[n as keyof Policy['providers']],
          base.providers[n as keyof Policy['providers']],
        ),
    )
    .sort();
}

/** The records directory policy/jml.yaml names (`records.dir`), resolved in `root`. */
export function recordsDir(root: string, index: RepoIndex): string {
  return path.resolve(root, index.policy.records.dir);
}

/**
 * For each leaver in the plan whose termination reached the branch after its end instant (merged
 * late), when it did: the SLA is judged from then. From git: the first-parent commit that wrote
 * the current `employment.end` value into the person's file.
 */
export function knownAtOf(p: Prepared, plan: Plan): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of plan.changes) {
    if (c.event.kind !== 'leaver' || !c.person || !c.event.date || out.has(c.person)) continue;
    const located = p.index.people.get(c.person);
    if (!located || p.holds.some((h) => h.person === c.person)) continue;
    const arrived = gitTextArrival(p.root, located.src.path, c.event.date);
    if (arrived && Date.parse(arrived) > Date.parse(c.event.date)) out.set(c.person, arrived);
  }
  return out;
}

/**
 * A repository prepared from `req` with `connect: false`, made ready to write: its providers
 * connected as prepare would have connected them (from `req.connectionsFrom` when given), and its
 * commit read.
 */
export async function connectProviders(
  ctx: EngineContext,
  req: PrepareRequest,
  p: Prepared,
): Promise<Prepared> {
  const trustedRoot = path.resolve(req.connectionsFrom ?? req.root);
  const providers = await connectAll(ctx, trustedRoot, p.index.policy, req.only);
  return { ...p, commit: gitCommit(p.root), providers };
}

async function connectAll(ctx: EngineContext, root: string, policy: Policy, only?: ProviderName) {
  await loadConnectors(policy, only);
  return createProviders(root, policy, only, { env: ctx.env });
}

/** The actual state of every prepared provider, read in its managed scope. */
export async function readActual(p: Prepared): Promise<ActualState[]> {
  return Promise.all(p.providers.map((provider) => provider.read(scopeFor(p.index, provider.name))));
}

/** The plan at `p.at`, or at another instant `at` (a leaver's, prepared ahead of it). */
export function planFrom(p: Prepared, actual: ActualState[], at = p.at): Plan {
  return buildPlan({ index: p.index, desired: resolveAll(p.index, at), actual, commit: p.commit });
}

/** Each person's display name by id, for renderers. */
export function personNames(index: RepoIndex): Map<string, string> {
  return new Map([...index.people.values()].map((p) => [p.value.id, p.value.name]));
}
