/**
 * A person's identity fields: email, github, manager and hrId decide which account holds their
 * access on every provider and who approves for them, so a change needs the manager of record
 * (as of the base branch) or the security team, and HR.
 */
import { refOf } from '../../load/source.js';
import { managerOf, type PersonRule, who } from './context.js';

/** Identity fields: who the person is on every provider, and who approves for them. */
export const IDENTITY_FIELDS = ['email', 'github', 'manager', 'hrId'] as const;

/** A changed email, GitHub login, manager or HR id needs the manager of record or security, and HR. */
export const identityChange: PersonRule = {
  name: 'identityChange',
  rules: ['identity-change'],
  check(ctx, d) {
    const { id, after, b, a, fields, excluded } = d;
    const identity = IDENTITY_FIELDS.filter((f) => fields.includes(f));
    if (!identity.length) return;
    const change = `identity of ${id} changed: ${identity.map((f) => `${f} ${b[f] ?? '(none)'} -> ${a[f] ?? '(none)'}`).join(', ')}`;
    const m = managerOf(ctx, id).id;
    ctx.found.needs.push({
      rule: 'identity-change',
      ref: refOf(after, [identity[0]!]),
      change,
      description: `${identity.join(', ')} decide${identity.length === 1 ? 's' : ''} which account holds ${id}'s access and who approves for them: needs approval from ${m ? `the manager of record ${who(ctx.base, m)} as of the base branch, or ` : ''}${ctx.securityTeamText}`,
      candidates: [...new Set([...(m ? [m] : []), ...ctx.security])],
      excluded,
    });
    d.needHr(refOf(after, [identity[0]!]), change);
  },
};
