/**
 * validate: the loaded model -> diagnostics about meaning (references, cycles, dates,
 * exceptions, separation of duties). Pure: the time `at` is an argument.
 *
 * The rules are a table of small functions (src/validate/rules/index.ts), run in phases:
 * unsafe characters, identity (ids, uniqueness, emails, provider-facing names), references,
 * structure (cycles), dates, exceptions (and what moves keep of them), access (separation of
 * duties, unreachable entitlements), access reviews.
 */
import { loadRepository, type Repository } from '../load/load-repo.js';
import { type Diagnostic, hasErrors, sortDiagnostics } from '../model/diagnostic.js';
import { isValidTimeZone } from '../model/time.js';
import { indexRepository, type RepoIndex } from '../resolve/repo-index.js';
import { emitter } from './emit.js';
import { ruleContext } from './rules/context.js';
import { VALIDATION_RULES } from './rules/index.js';
import { validateUnsafeText } from './rules/unsafe-text.js';

/**
 * Validates a loaded repository at time `at`. Returns only the semantic diagnostics, in the
 * order the rules report them (src/validate/rules/index.ts), and the index when the policy loaded.
 */
export function validateRepository(
  repo: Repository,
  at: number,
): { diagnostics: Diagnostic[]; index?: RepoIndex } {
  const out: Diagnostic[] = [];
  const emit = emitter(out);
  // Characters that make text look like something it is not: checked on every file, first.
  validateUnsafeText(repo, emit);
  // Every other rule needs the policy, and dates need its time zone.
  if (!repo.policy) return { diagnostics: out };
  const policy = repo.policy.value;
  if (!isValidTimeZone(policy.timezone)) {
    emit(
      'error',
      'bad-timezone',
      repo.policy,
      ['timezone'],
      `"${policy.timezone}" is not a time zone name.`,
      'Use an IANA name such as America/New_York or Europe/London.',
    );
    return { diagnostics: out };
  }
  const index = indexRepository(repo, policy);
  const ctx = ruleContext(repo, repo.policy, index, at, emit);
  for (const rule of VALIDATION_RULES) rule.check(ctx);
  return { diagnostics: out, index };
}

/**
 * Rules that fail review (`jml validate`) but do not stop plan or apply, which must carry on
 * with due changes: those a repository can start breaking merely because time passed, and
 * `email-protected`, which a policy change can bring about for a person already in people/
 * (a login declared break-glass) and whose account every plan already leaves alone (the
 * protected-account guard), so stopping every leaver's disable for it would protect nothing.
 */
export const TIME_DEPENDENT_RULES: ReadonlySet<string> = new Set([
  'exception-expired',
  'manager-left',
  'email-protected',
]);

export interface CheckResult {
  repo: Repository;
  index?: RepoIndex;
  diagnostics: Diagnostic[];
  ok: boolean;
}

/**
 * load + validate: the front half of every command. `at` may be a function of the organisation's
 * time zone, so that `--at 2027-02-01` means midnight there.
 */
export function checkRepository(
  root: string,
  at: number | ((zone: string | undefined) => number),
): CheckResult {
  const loaded = loadRepository(root);
  const zone = loaded.repo.policy?.value.timezone;
  const atMs = typeof at === 'number' ? at : at(zone && isValidTimeZone(zone) ? zone : undefined);
  const { diagnostics, index } = validateRepository(loaded.repo, atMs);
  const all = sortDiagnostics([...loaded.diagnostics, ...diagnostics]);
  return { repo: loaded.repo, ...(index ? { index } : {}), diagnostics: all, ok: !hasErrors(all) };
}
