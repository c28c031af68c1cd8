/**
 * The pipeline as the commands use it: load and validate (stop on errors), build the providers,
 * read the actual state, resolve and plan.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { gitCommit, gitTextArrival } from '../load/git.js';
import { loadRepository } from '../load/load-repo.js';
import type { Hold } from '../model/holds.js';
import type { Policy, ProviderName } from '../model/schema.js';
import type { ActualState } from '../model/state.js';
import { buildPlan, restrictPlan } from '../plan/build-plan.js';
import type { Plan } from '../plan/plan-types.js';
import { createProviders, loadConnectors, scopeFor } from '../providers/registry.js';
import type { Provider } from '../providers/types.js';
import { readHolds } from '../records/holds.js';
import { renderDiagnosticsText } from '../report/diagnostics.js';
import { withHolds } from '../resolve/holds.js';
import { indexRepository, type RepoIndex } from '../resolve/repo-index.js';
import { resolveAll } from '../resolve/resolve.js';
import { checkRepository, TIME_DEPENDENT_RULES } from '../validate/validate.js';
import type { Io } from './main.js';
import { parseAtOption } from './options.js';

export interface Prepared {
  root: string;
  index: RepoIndex;
  at: number;
  commit: string | null;
  providers: Provider[];
  /** Emergency offboardings that people/ does not record yet, in force in `index`. */
  holds: Hold[];
  /**
   * With `connectionsFrom`: the providers whose section of policy/jml.yaml the checkout changes
   * (and which were therefore connected as the base checkout declares them). Empty otherwise.
   */
  connectionsOverridden: string[];
}

/**
 * Loads and validates; on any error prints the diagnostics and returns undefined (exit 1).
 *
 * `connectionsFrom` (jml plan --base): a checkout of the base branch, whose policy/jml.yaml
 * supplies the provider connections (URLs, tenant and client ids, the names of the credential
 * variables, embedded directory files, resolved in that checkout) and the records directory (the
 * offboarding holds). Everything else (people, roles, exceptions, the catalog, the other policy
 * values) comes from `rootOpt`. A pull request's head is not trusted with credentials: one that
 * pointed `providers.okta.orgUrl` or `providers.entra.authorityUrl` at its own server would
 * otherwise receive the Okta client assertion or the replayable GitHub OIDC token of the job.
 */
export async function prepare(
  rootOpt: string,
  atOpt: string | undefined,
  io: Io,
  only?: ProviderName,
  connectionsFrom?: string,
): Promise<Prepared | undefined> {
  const root = path.resolve(rootOpt);
  const atOf = parseAtOption(atOpt, io.clock ? () => io.clock!.now() : undefined);
  const checked = checkRepository(root, atOf);
  // Problems that appear only because time passed (an exception lapsed, a manager left) fail
  // review in `jml validate`, but must never stop the scheduled apply: a leaver's disable
  // cannot wait for someone to tidy up a file.
  const blocking = checked.diagnostics.filter(
    (d) => d.severity === 'error' && !TIME_DEPENDENT_RULES.has(d.rule),
  );
  const notices = checked.diagnostics.filter(
    (d) => d.severity === 'error' && TIME_DEPENDENT_RULES.has(d.rule),
  );
  if (notices.length && blocking.length === 0) {
    io.err(
      `Note: ${notices.map((d) => `${d.file}:${d.line} ${d.rule}`).join('; ')} (fix by pull request; planning goes on).\n`,
    );
  }
  if (blocking.length > 0 || !checked.index) {
    io.err(renderDiagnosticsText(checked.diagnostics, io.isTty));
    io.err('Nothing was planned or applied: fix the errors above first.\n');
    return undefined;
  }
  let index = checked.index;
  // Where the connections and the records come from: this checkout, or the base checkout's.
  let trustedRoot = root;
  let overridden: string[] = [];
  if (connectionsFrom !== undefined) {
    trustedRoot = path.resolve(connectionsFrom);
    let base: RepoIndex;
    try {
      base = indexCheckout(trustedRoot, undefined, ', so the provider connections to plan with are unknown');
    } catch (e) {
      if (!(e instanceof CheckoutError)) throw e;
      io.err(`--base: ${e.message}\nNothing was planned.\n`);
      return undefined;
    }
    overridden = changedProviders(index.policy, base.policy);
    index = {
      ...index,
      policy: { ...index.policy, providers: base.policy.providers, records: base.policy.records },
    };
  }
  if (only && only !== 'local' && !index.policy.providers[only]) {
    const where = connectionsFrom !== undefined ? "the base checkout's policy/jml.yaml" : 'policy/jml.yaml';
    throw new Error(`provider ${only} is not configured in ${where}`);
  }
  const heldDir = recordsDir(trustedRoot, index);
  const read = readHolds(heldDir);
  for (const p of read.problems) {
    io.err(
      `Note: ${path.relative(root, path.join(heldDir, p.file))} ${p.problem}; an offboarding hold in it is not in force.\n`,
    );
  }
  const held = withHolds(index, read.holds);
  index = held.index;
  for (const h of held.applied) {
    io.err(
      `Note: ${h.person} was offboarded at ${h.at} by ${h.requestedBy} (${h.pullRequest?.url ?? h.record}); ` +
        `access stays cut until people/${h.person}.yaml records the termination or jml offboard --cancel lifts it.\n`,
    );
  }
  return {
    root,
    index,
    at: atOf(index.policy.timezone),
    commit: gitCommit(root),
    providers: await connectAll(trustedRoot, index.policy, only),
    holds: held.applied,
    connectionsOverridden: overridden,
  };
}

/** The providers (local, entra, ...) whose policy/jml.yaml section differs between two policies. */
export function changedProviders(head: Policy, base: Policy): string[] {
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

/** The plan restricted to some people; the whole plan when none is named. */
export function forPeople(plan: Plan, people: readonly string[] | undefined): Plan {
  return people && people.length > 0 ? restrictPlan(plan, new Set(people)) : plan;
}

async function connectAll(root: string, policy: Policy, only?: ProviderName) {
  await loadConnectors(policy, only);
  return createProviders(root, policy, only);
}

export async function readActual(p: Prepared): Promise<ActualState[]> {
  return Promise.all(p.providers.map((provider) => provider.read(scopeFor(p.index, provider.name))));
}

/** The plan at `p.at`, or at another instant `at` (a leaver's, prepared ahead of it). */
export function planFrom(p: Prepared, actual: ActualState[], at = p.at): Plan {
  return buildPlan({ index: p.index, desired: resolveAll(p.index, at), actual, commit: p.commit });
}

export function personNames(index: RepoIndex): Map<string, string> {
  return new Map([...index.people.values()].map((p) => [p.value.id, p.value.name]));
}

/** A checkout that cannot be read as a policy repository. */
export class CheckoutError extends Error {}

/**
 * Indexes a checkout without validating it, for the commands that read the data but do not
 * plan (approvals, the GitHub steps): only policy/jml.yaml must load, and its errors are given
 * with file and line. `fallbackPolicy` stands in for a head whose policy does not load, so that
 * its people, roles and exceptions can still be compared (jml validate reports the broken file).
 * `where` says, in the error, what the checkout is for.
 */
export function indexCheckout(root: string, fallbackPolicy?: Policy, where = ''): RepoIndex {
  if (!existsSync(root)) throw new CheckoutError(`${root}: no such directory (expected a checkout).`);
  const { repo, diagnostics } = loadRepository(root);
  const policy = repo.policy?.value ?? fallbackPolicy;
  if (!policy) {
    const why = diagnostics
      .filter((d) => d.file === 'policy/jml.yaml')
      .map((d) => `${d.file}:${d.line}: ${d.message}`)
      .join('; ');
    throw new CheckoutError(`${root}: policy/jml.yaml does not load${where}${why ? ` (${why})` : ''}.`);
  }
  return indexRepository(repo, policy);
}
