/**
 * engine: a checkout read as data, for the use cases that compare or look at a repository without
 * planning it (approvals, reviews, the GitHub steps, doctor). Unlike prepare, nothing is validated.
 */
import { existsSync } from 'node:fs';
import { loadRepository } from '../load/load-repo.js';
import type { Policy } from '../model/schema.js';
import { indexRepository, type RepoIndex } from '../resolve/repo-index.js';

/**
 * A checkout that cannot be read as a policy repository: missing, or its policy/jml.yaml does not
 * load. The message says which checkout and why, with file and line; the caller prefixes its
 * command's name and exits 1 (no stack trace: it is the user's input, not a bug).
 */
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
