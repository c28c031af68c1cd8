/**
 * The approval rules by effect, in the order they run (the order of ties among requirements on
 * the same line): each is a small pure function of one DecisionContext that adds the
 * requirements its difference needs. src/approvals/decide.ts runs them, then evaluates, sorts and
 * summarises. The net (unexplainedAccess) runs last: it reads what the others explained.
 */
import { accessReviews } from './access-reviews.js';
import { codePaths } from './code-paths.js';
import type { DecisionRule } from './context.js';
import { exceptions } from './exceptions.js';
import { headProblems } from './head.js';
import { people } from './person.js';
import { catalogs, policyValues } from './policy.js';
import { roleTemplates } from './roles.js';
import { unexplainedAccess } from './unexplained.js';

export const DECISION_RULES: readonly DecisionRule[] = [
  headProblems,
  codePaths,
  policyValues,
  catalogs,
  roleTemplates,
  people,
  exceptions,
  accessReviews,
  unexplainedAccess,
];
