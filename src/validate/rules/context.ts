/**
 * What every validation rule is given, and the shape of a rule. A rule is a small pure function
 * of the loaded repository (and the time `at`) that reports each problem it finds as a Diagnostic
 * through `emit`; src/validate/rules/index.ts lists the rules in the order they run.
 */
import type { Repository } from '../../load/load-repo.js';
import type { Located, YamlPath } from '../../load/source.js';
import { fileKinds, type Policy } from '../../model/schema.js';
import type { Clock } from '../../model/time.js';
import type { RepoIndex } from '../../resolve/repo-index.js';
import type { Emit } from '../emit.js';
import { suggest } from './text.js';

/** Whether an id names something that exists, or would if its file had loaded (no follow-on errors). */
export interface Known {
  person(id: string): boolean;
  role(id: string): boolean;
  entitlement(id: string): boolean;
  app(id: string): boolean;
}

export interface RuleContext {
  repo: Repository;
  policy: Policy;
  /** policy/jml.yaml, where policy's values are. */
  policyFile: Located<Policy>;
  index: RepoIndex;
  clock: Clock;
  /** The time of the check (epoch ms): what has expired, who has left. */
  at: number;
  emit: Emit;
  known: Known;
}

/** One rule: the diagnostic rule ids it may report, and the check. */
export interface ValidationRule {
  /** A short name, for tests and for reading the table. */
  name: string;
  /** Every diagnostic rule id the check may report (README.md documents each). */
  rules: readonly string[];
  check(ctx: RuleContext): void;
}

/** The context of a repository whose policy loaded with a valid time zone. */
export function ruleContext(
  repo: Repository,
  policyFile: Located<Policy>,
  index: RepoIndex,
  at: number,
  emit: Emit,
): RuleContext {
  const { broken } = repo;
  const known: Known = {
    person: (id) => index.people.has(id) || broken.people.has(id),
    role: (id) => index.roles.has(id) || broken.roles.has(id),
    entitlement: (id) =>
      index.entitlements.has(id) ||
      broken.entitlements.has(id) ||
      broken.files.has(fileKinds.entitlements.file),
    app: (id) => index.apps.has(id) || broken.apps.has(id) || broken.files.has(fileKinds.apps.file),
  };
  return { repo, policy: policyFile.value, policyFile, index, clock: index.clock, at, emit, known };
}

/** Reports `id` at `path` of `at` as `rule` unless it names a person in people/. */
export function refPerson(
  ctx: RuleContext,
  at: Located<unknown>,
  path: YamlPath,
  id: string,
  rule: string,
  what: string,
): void {
  if (!ctx.known.person(id))
    ctx.emit(
      'error',
      rule,
      at,
      path,
      `${what} "${id}" is not a person in people/.`,
      `Use the id of a file in people/ (for example ${suggest(id, ctx.index.people.keys())}).`,
    );
}

/** Reports `id` at `path` of `at` as unknown-role unless it names a file in roles/. */
export function refRole(
  ctx: RuleContext,
  at: Located<unknown>,
  path: YamlPath,
  id: string,
  what: string,
): void {
  if (!ctx.known.role(id))
    ctx.emit(
      'error',
      'unknown-role',
      at,
      path,
      `${what} "${id}" does not exist.`,
      `Use the id of a file in roles/ (for example ${suggest(id, ctx.index.roles.keys())}).`,
    );
}

/**
 * Reports `id` at `path` of `at` as unknown-entitlement unless the catalog has it; `hint` is given
 * the closest catalog id (computed only when the id is unknown).
 */
export function refEntitlement(
  ctx: RuleContext,
  at: Located<unknown>,
  path: YamlPath,
  id: string,
  hint: (closest: string) => string,
): void {
  if (!ctx.known.entitlement(id))
    ctx.emit(
      'error',
      'unknown-entitlement',
      at,
      path,
      `The entitlement "${id}" is not in policy/entitlements.yaml.`,
      hint(suggest(id, ctx.index.entitlements.keys())),
    );
}
