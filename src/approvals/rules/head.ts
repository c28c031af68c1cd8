/**
 * The head must load and validate as well as the base does: each error the head has and the base
 * has not refuses the pull request until it is fixed (no approval can meet it).
 */
import type { DecisionRule } from './context.js';

/** A new error on the head (jml validate) refuses the change: approvals of a broken model mean nothing. */
export const headProblems: DecisionRule = {
  name: 'headProblems',
  rules: ['head-invalid'],
  check({ input, found }) {
    for (const d of input.headProblems ?? []) {
      found.refused.push({
        rule: 'head-invalid',
        file: d.file,
        line: d.line,
        change: `jml validate: ${d.rule}`,
        description: 'the head must load and validate before its approvals can be decided',
        status: 'missing',
        satisfiedBy: null,
        why: `${d.message} ${d.hint}`.trim(),
      });
    }
  },
};
