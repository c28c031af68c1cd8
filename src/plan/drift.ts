/**
 * drift (pure): a plan at "now" read as findings. Every change the plan would make is a place
 * where the provider differs from git; additive targets' unknown members are findings too,
 * although no apply removes them.
 */
import { byCodePoint } from '../model/order.js';
import type { Change, Plan } from './plan-types.js';

export type DriftKind =
  | 'missing-account'
  | 'disabled-account'
  | 'leaver-enabled'
  | 'enabled-before-start'
  | 'enabled-without-access'
  | 'sessions-alive'
  | 'missing-grant'
  | 'extra-grant'
  | 'unknown-member'
  | 'retention-passed'
  | 'leaver-sla-breach';

export interface DriftFinding {
  kind: DriftKind;
  provider: string;
  login: string;
  person: string | null;
  entitlement?: string;
  explanation: string;
}

function kindOf(c: Change): DriftKind {
  switch (c.action) {
    case 'createUser':
      return 'missing-account';
    case 'enableUser':
      return 'disabled-account';
    case 'disableUser':
      return c.event.kind === 'leaver'
        ? 'leaver-enabled'
        : c.event.kind === 'pre-start'
          ? 'enabled-before-start'
          : 'enabled-without-access';
    case 'revokeSessions':
      return 'sessions-alive';
    case 'deleteUser':
      return 'retention-passed';
    case 'grant':
      return 'missing-grant';
    case 'revoke':
      return c.person === null ? 'unknown-member' : 'extra-grant';
    case 'openTicket':
      return c.operation === 'grant' ? 'missing-grant' : c.person === null ? 'unknown-member' : 'extra-grant';
  }
}

const WHAT: Record<DriftKind, string> = {
  'missing-account': 'has no account but should',
  'disabled-account': 'is disabled but should be active',
  'leaver-enabled': 'has left but the account is still enabled',
  'enabled-before-start': 'is enabled before the start date',
  'enabled-without-access': 'is enabled but no access there remains',
  'sessions-alive': 'has left but still has live sessions',
  'missing-grant': 'lacks access git grants',
  'extra-grant': 'holds access git does not grant',
  'unknown-member': 'is not in people/ but is a member of a managed target',
  'retention-passed': 'is past the retention period and may be deleted',
  'leaver-sla-breach': 'has left, the SLA deadline has passed, and access remains',
};

/** The policy's leaver deadlines, in minutes after `employment.end`. */
export interface LeaverSla {
  leaverMinutes: number;
  highRiskLeaverMinutes: number;
}

/**
 * Drift findings. With the policy's `sla`, each leaver whose deadline has passed while the plan
 * still has something to take away comes first, as one `leaver-sla-breach` per person: that is
 * the finding security must act on now.
 */
export function findDrift(plan: Plan, sla?: LeaverSla): DriftFinding[] {
  const breaches = sla ? slaBreaches(plan, sla) : [];
  const findings: DriftFinding[] = plan.changes.map((c) => {
    const kind = kindOf(c);
    return {
      kind,
      provider: c.provider,
      login: c.login,
      person: c.person,
      ...(c.entitlement ? { entitlement: c.entitlement } : {}),
      explanation: `${c.person ?? c.login} ${WHAT[kind]}${c.entitlement ? ` (${c.entitlement})` : ''} on ${c.provider}: ${c.because.join('; ')}`,
    };
  });
  findings.unshift(...breaches);
  for (const r of plan.reported) {
    if (r.kind !== 'additive-member' || !r.target) continue;
    findings.push({
      kind: 'unknown-member',
      provider: r.provider,
      login: r.login,
      person: null,
      explanation: `${r.login} ${WHAT['unknown-member']} (${r.target.kind} "${r.target.target}") on ${r.provider}: ${r.reason}`,
    });
  }
  return findings;
}

function slaBreaches(plan: Plan, sla: LeaverSla): DriftFinding[] {
  const at = Date.parse(plan.at);
  const byPerson = new Map<string, Change[]>();
  for (const c of plan.changes) {
    if (c.event.kind !== 'leaver' || !c.person || !c.event.date || c.action === 'deleteUser') continue;
    byPerson.set(c.person, [...(byPerson.get(c.person) ?? []), c]);
  }
  const out: DriftFinding[] = [];
  for (const [person, changes] of byPerson) {
    const event = changes[0]!.event;
    const minutes = event.highRisk ? sla.highRiskLeaverMinutes : sla.leaverMinutes;
    const deadline = Date.parse(event.date!) + minutes * 60_000;
    if (at <= deadline) continue;
    const providers = [...new Set(changes.map((c) => c.provider))].sort();
    out.push({
      kind: 'leaver-sla-breach',
      provider: providers.join(','),
      login: changes[0]!.login,
      person,
      explanation:
        `${person} ${WHAT['leaver-sla-breach']} on ${providers.join(', ')}: left at ${event.date}, ` +
        `${event.highRisk ? 'high-risk ' : ''}deadline ${new Date(deadline).toISOString()} (${minutes} min), ` +
        `${changes.length} change(s) outstanding (${[...new Set(changes.map((c) => c.action))].join(', ')}). ` +
        'Run jml apply --confirm now, or jml offboard if it keeps failing.',
    });
  }
  return out.sort((a, b) => byCodePoint(a.person!, b.person!));
}
