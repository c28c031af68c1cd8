/**
 * Changed paths that are not data: code, the written policy and documentation. Paths only decide
 * what is data (src/load/data-files.ts); everything the loader reads is judged by its effect in
 * the other rules.
 */
import { classifyPath, WRITTEN_POLICY } from '../../load/data-files.js';
import { lineRef } from '../../load/source.js';
import { byCodePoint } from '../../model/order.js';
import { type DecisionRule, securityNeed } from './context.js';

/**
 * Code, workflows and the written policy need the security team (the policy HR too), since they
 * decide what every approval means; documentation and files jml does not read are only noted.
 */
export const codePaths: DecisionRule = {
  name: 'codePaths',
  rules: ['security-team', 'hr-team-policy', 'code-change'],
  check(ctx) {
    const { input, found } = ctx;
    const code: string[] = [];
    const paths = [
      ...new Set(
        input.files.flatMap((f) =>
          f.status === 'renamed' && f.previousPath ? [f.previousPath, f.path] : [f.path],
        ),
      ),
    ].sort(byCodePoint);
    for (const p of paths) {
      const kind = classifyPath(p);
      if (kind === 'code' && input.generated?.has(p))
        found.notes.push(`${p}: generated from the data by jml (judged by the data it comes from)`);
      else if (kind === 'code') code.push(p);
      else if (kind === 'policy-text') {
        const change = `${p} changed`;
        found.needs.push(securityNeed(ctx, lineRef(p), change, 'security-team'));
        if (p === WRITTEN_POLICY)
          found.needs.push({
            rule: 'hr-team-policy',
            ref: lineRef(p),
            change,
            description: `the written JML policy also needs approval from ${ctx.hrTeamText}`,
            candidates: ctx.hr,
            excluded: ctx.noExclusions,
          });
        found.everyoneExplained = true;
      } else if (kind === 'documentation' || kind === 'not-read')
        found.notes.push(
          `${p}: ${kind === 'not-read' ? 'not read by jml' : 'documentation'}, no effect on access`,
        );
    }
    if (code.length) {
      const shown = code.slice(0, 10).join(', ') + (code.length > 10 ? ` and ${code.length - 10} more` : '');
      found.needs.push({
        ...securityNeed(ctx, lineRef(code[0]!), `code or workflow changed: ${shown}`, 'code-change'),
        description: `the engine, workflows, scripts, packages and CODEOWNERS decide what every approval means: needs approval from ${ctx.securityTeamText}`,
      });
      found.everyoneExplained = true;
    }
  },
};
