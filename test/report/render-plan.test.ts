import { describe, expect, it } from 'vitest';
import type { Change, Plan } from '../../src/plan/plan-types.js';
import {
  groupByPerson,
  renderPlanMarkdown,
  renderPlanText,
  summaryLine,
} from '../../src/report/render-plan.js';

function change(over: Partial<Change> & Pick<Change, 'action' | 'provider' | 'person' | 'login'>): Change {
  return {
    id: `${over.provider}/${over.login}/${over.action}/${over.entitlement ?? ''}`,
    event: { kind: 'update' },
    because: ['a reason at people/x.yaml:3'],
    ...over,
  };
}

const mover = { kind: 'mover' as const, date: '2027-02-01' };
const leaver = { kind: 'leaver' as const, date: '2027-03-31T17:00:00-05:00' };

function planOf(changes: Change[]): Plan {
  const summary: Plan['summary'] = {};
  for (const c of changes) summary[c.action] = (summary[c.action] ?? 0) + 1;
  return {
    schemaVersion: 1,
    commit: 'abcdef0123456789',
    at: '2027-02-01T05:00:00.000Z',
    fingerprint: 'sha256:00',
    providers: [
      { name: 'local', simulated: false, users: 3, memberships: 9, outOfScopeAccounts: 0 },
      { name: 'okta', simulated: true, users: 3, memberships: 9, outOfScopeAccounts: 2 },
    ],
    changes,
    reported: [],
    summary,
  };
}

const alice = (action: Change['action'], provider: Change['provider'], entitlement: string) =>
  change({
    action,
    provider,
    person: 'alice.nguyen',
    login: 'alice@example.com',
    entitlement,
    target: { kind: 'group', target: entitlement },
    event: mover,
  });

const names = new Map([
  ['alice.nguyen', 'Alice Nguyen'],
  ['ben.carter', 'Ben <Carter>'],
]);

describe('the plan for people', () => {
  const plan = planOf([
    alice('grant', 'okta', 'aws-prod'),
    alice('grant', 'okta', 'pagerduty'),
    alice('grant', 'local', 'bastion'),
    alice('revoke', 'okta', 'salesforce'),
    alice('revoke', 'local', 'build'),
    change({
      action: 'disableUser',
      provider: 'okta',
      person: 'ben.carter',
      login: 'ben@example.com',
      event: leaver,
    }),
    change({
      action: 'revokeSessions',
      provider: 'okta',
      person: 'ben.carter',
      login: 'ben@example.com',
      event: leaver,
    }),
  ]);

  it('groups changes by person and JML event with gains and losses across providers', () => {
    const titles = groupByPerson(plan, names).map((g) => g.title);
    expect(titles[0]).toBe(
      'Alice Nguyen (alice.nguyen), mover on 2027-02-01: gains 3, loses 2 across okta and local',
    );
    expect(titles[1]).toBe(
      'Ben <Carter> (ben.carter), leaver at 2027-03-31T17:00:00-05:00: gains 0, loses 0, account: disableUser, revokeSessions across okta',
    );
  });

  it('shows every change with its reason and labels simulated providers, without colour when asked', () => {
    const text = renderPlanText(plan, names, false);
    expect(text).toContain(
      '+ okta (simulated): grant aws-prod (group aws-prod) because a reason at people/x.yaml:3',
    );
    expect(text).toContain('- local: revoke build (group build) because a reason at people/x.yaml:3');
    expect(text).toContain(summaryLine(plan));
    expect(text).toContain('2 accounts outside the managed scope (not changed)');
    expect(text).not.toContain('\u001b[');
  });

  it('renders markdown for a pull request with one collapsible section per person, escaped', () => {
    const md = renderPlanMarkdown(plan, names);
    expect(md.match(/<details>/g)).toHaveLength(2);
    expect(md).toContain('Ben &lt;Carter&gt;');
    expect(md).not.toContain('Truncated');
  });

  it('cuts a long plan with a note saying how much is not shown, never silently', () => {
    const many = planOf(
      Array.from({ length: 400 }, (_, i) =>
        change({
          action: 'grant',
          provider: 'okta',
          person: `p${String(i).padStart(3, '0')}`,
          login: `p${i}@example.com`,
          entitlement: 'x',
          target: { kind: 'group', target: 'x' },
        }),
      ),
    );
    const md = renderPlanMarkdown(many, new Map(), 8_000);
    expect(md.length).toBeLessThan(9_000);
    const shown = md.match(/<details>/g)?.length ?? 0;
    expect(shown).toBeGreaterThan(0);
    expect(md).toContain(`**Truncated:** ${400 - shown} more people (${400 - shown} changes) are not shown`);
  });

  it('says plainly when there is nothing to change', () => {
    expect(renderPlanText(planOf([]), names, false)).toContain(
      'No changes: the providers match the repository.',
    );
  });
});
