import { afterAll, describe, expect, it } from 'vitest';
import { indexCheckout } from '../../src/engine/checkout.js';
import type { Diagnostic } from '../../src/model/diagnostic.js';
import type { Change, Plan } from '../../src/plan/plan-types.js';
import {
  FOLD_AFTER,
  groupByPerson,
  localiseInstants,
  renderPlanMarkdown,
  renderPlanText,
  scheduledByMerge,
  shortReason,
  summaryLine,
} from '../../src/report/render-plan.js';
import { cleanTempDirs, copyFixture, readRepoFile, writeRepoFile } from '../engine/helpers.js';

afterAll(cleanTempDirs);

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
const NY = 'America/New_York';

function planOf(changes: Change[], at = '2027-02-01T05:00:00.000Z'): Plan {
  const summary: Plan['summary'] = {};
  for (const c of changes) summary[c.action] = (summary[c.action] ?? 0) + 1;
  return {
    schemaVersion: 1,
    commit: 'abcdef0123456789',
    at,
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

/** The diff block that follows a person's heading in the comment. */
function blockOf(md: string, heading: string): string {
  const from = md.indexOf(heading);
  expect(from, `no heading ${heading}`).toBeGreaterThanOrEqual(0);
  const open = md.indexOf('```diff\n', from);
  return md.slice(open + 8, md.indexOf('\n```', open + 8));
}

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
      because: ['leaver: employment ended 2027-03-31T22:00:00.000Z at people/ben.carter.yaml:9'],
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
      'Ben <Carter> (ben.carter), leaver at 2027-03-31T17:00:00-05:00: gains 0, loses 0, account: disable account, end sessions across okta',
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

  it('gives each person one diff block, gains first, the reason beside each line, nothing folded', () => {
    const md = renderPlanMarkdown(plan, names, { zone: NY });
    expect(md).not.toContain('<details>');
    expect(md.match(/```diff\n/g)).toHaveLength(2);
    expect(md).toContain('**Alice Nguyen** (alice.nguyen) · mover on 2027-02-01 · +3 −2');
    expect(blockOf(md, '**Alice Nguyen**').split('\n')).toEqual([
      '+ okta   group  aws-prod    # a reason',
      '+ okta   group  pagerduty   # a reason',
      '+ local  group  bastion     # a reason',
      '- okta   group  salesforce  # a reason',
      '- local  group  build       # a reason',
    ]);
    // Names are escaped: no HTML, and no `@` that would mention someone.
    expect(md).toContain('**Ben &lt;Carter&gt;** (ben.carter) · leaver at 2027-03-31 18:00 · −2');
    expect(md).toContain('Simulated providers (no real tenant): okta.');
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
          entitlement: `x${i}`,
          target: { kind: 'group', target: 'x' },
          because: [`exception EXC-${i} at exceptions/EXC-${i}.yaml:4`],
        }),
      ),
    );
    const md = renderPlanMarkdown(many, new Map(), { budget: 8_000 });
    expect(md.length).toBeLessThan(9_000);
    const shown = md.match(/```diff\n/g)?.length ?? 0;
    expect(shown).toBeGreaterThan(0);
    expect(md).toContain(`**Truncated:** ${400 - shown} more people (${400 - shown} changes) are not shown`);
  });

  it('says plainly when there is nothing to change', () => {
    expect(renderPlanText(planOf([]), names, false)).toContain(
      'No changes: the providers match the repository.',
    );
    const md = renderPlanMarkdown(planOf([]), names, { zone: NY, scheduled: [] });
    expect(md).toContain('### Access plan: no changes');
    expect(md).toContain(
      '**On merge:** nothing changes at once; nothing in this pull request is dated later.',
    );
  });
});

/** Five backend engineers whose role did not change; the template gained a line. */
const backend = ['alice.nguyen', 'grace.lin', 'hannah.kim', 'priya.raman', 'ravi.patel'];
const backendNames = new Map([
  ['alice.nguyen', 'Alice Nguyen'],
  ['grace.lin', 'Grace Lin'],
  ['hannah.kim', 'Hannah Kim'],
  ['priya.raman', 'Priya Raman'],
  ['ravi.patel', 'Ravi Patel'],
  ['jonah.weiss', 'Jonah Weiss'],
]);
const templateEdit = (
  id: string,
  entitlement: string,
  line: number,
  event: Change['event'] = { kind: 'update' },
) =>
  change({
    action: 'grant',
    provider: 'okta',
    person: id,
    login: `${id}@example.com`,
    entitlement,
    target: { kind: 'group', target: entitlement },
    event,
    because: [`role backend-engineer at people/${id}.yaml:15, listed at roles/backend-engineer.yaml:${line}`],
  });

describe('a role template edit touching five people', () => {
  const plan = planOf(
    [
      ...backend.map((id) => templateEdit(id, 'eng-oncall', 11)),
      // Jonah moved to sre in 2022; sre includes backend-engineer: the plan still calls him a mover.
      change({
        action: 'grant',
        provider: 'okta',
        person: 'jonah.weiss',
        login: 'jonah.weiss@example.com',
        entitlement: 'eng-oncall',
        target: { kind: 'group', target: 'eng-oncall' },
        event: { kind: 'mover', date: '2022-01-10' },
        because: [
          'role backend-engineer (included by sre) at people/jonah.weiss.yaml:16, listed at roles/backend-engineer.yaml:11',
        ],
      }),
    ],
    '2026-11-25T15:00:00.000Z',
  );
  const md = renderPlanMarkdown(plan, backendNames, { zone: NY });

  it('summarises the template line once, with every person it touches, before the people', () => {
    expect(md).toContain('**One cause, several people**');
    expect(md).toContain(
      '- `roles/backend-engineer.yaml:11`: +1 entitlement → **6 people gain** `okta:eng-oncall`: Alice Nguyen, Grace Lin, Hannah Kim, Priya Raman, Ravi Patel and Jonah Weiss',
    );
  });

  it('folds the people the summary already names, line by line, and says why', () => {
    expect(md).toContain(
      '<details><summary>The 6 people changed only by the cause above, line by line</summary>',
    );
    expect(md.indexOf('6 people gain')).toBeLessThan(md.indexOf('<details>'));
    expect(md.indexOf('**Alice Nguyen**')).toBeGreaterThan(md.indexOf('<details>'));
  });

  it('calls a person who moved years ago an access update, not a mover on that date', () => {
    expect(md).toContain('**Jonah Weiss** (jonah.weiss) · access update (last move 2022-01-10) · +1');
    expect(groupByPerson(plan, backendNames).at(-1)!.title).toBe(
      'Jonah Weiss (jonah.weiss), access update (last move 2022-01-10): gains 1, loses 0 across okta',
    );
  });

  it('explains a grant through an include chain: the role in force, then the role it includes', () => {
    expect(blockOf(md, '**Jonah Weiss**')).toBe(
      '+ okta  group  eng-oncall  # role sre via include backend-engineer',
    );
    expect(
      shortReason(
        'role employee (included by engineer < backend-engineer) at people/a.yaml:14, listed at roles/employee.yaml:6',
      ),
    ).toBe('role backend-engineer via include engineer > employee');
  });

  it('merges two lines of one template that the same people gain into one summary', () => {
    const two = planOf([
      ...backend.map((id) => templateEdit(id, 'eng-oncall', 11)),
      ...backend.map((id) => templateEdit(id, 'pagerduty', 12)),
    ]);
    const text = renderPlanMarkdown(two, backendNames, { zone: NY });
    expect(text).toContain(
      '- `roles/backend-engineer.yaml:11`, `roles/backend-engineer.yaml:12`: +2 entitlements → **5 people gain** `okta:eng-oncall`, `okta:pagerduty`:',
    );
  });

  it('does not summarise joiners or movers, whose own files are the cause', () => {
    const movers = planOf(backend.map((id) => templateEdit(id, 'eng-oncall', 11, mover)));
    const text = renderPlanMarkdown(movers, backendNames, { zone: NY });
    expect(text).not.toContain('One cause, several people');
    expect(text).not.toContain('<details>');
  });

  it(`shows ${FOLD_AFTER} people in full and folds the rest, saying the rule`, () => {
    const many = planOf(
      Array.from({ length: FOLD_AFTER + 3 }, (_, i) =>
        change({
          action: 'grant',
          provider: 'okta',
          person: `p${String(i).padStart(2, '0')}`,
          login: `p${i}@example.com`,
          entitlement: 'x',
          target: { kind: 'group', target: 'x' },
          because: [`exception EXC-${i} at exceptions/EXC-${i}.yaml:4`],
        }),
      ),
    );
    const text = renderPlanMarkdown(many, new Map(), { zone: NY });
    const folded = text.slice(text.indexOf('<details>'));
    expect(text.slice(0, text.indexOf('<details>')).match(/```diff\n/g)).toHaveLength(FOLD_AFTER);
    expect(folded).toContain(
      `<summary>3 more people (folded: the comment shows the first ${FOLD_AFTER} in full)</summary>`,
    );
    expect(folded.match(/```diff\n/g)).toHaveLength(3);
  });
});

describe('warnings, notes and the footer', () => {
  const warning: Diagnostic = {
    severity: 'warning',
    rule: 'exception-cut-by-move',
    file: 'exceptions/EXC-0004.yaml',
    line: 9,
    column: 1,
    message: 'EXC-0004 ends with the move on 2027-02-01 because retainOnMove is false.',
    hint: 'Set retainOnMove: true and list it in the move’s retain, or let it end.',
  };
  const plan = planOf([alice('grant', 'okta', 'aws-prod')]);

  it('puts validation warnings in the comment, with file, line and rule', () => {
    const md = renderPlanMarkdown(plan, names, { zone: NY, warnings: [warning] });
    expect(md).toContain('**⚠️ 1 validation warning** (they do not block the merge):');
    expect(md).toContain(
      '- `exceptions/EXC-0004.yaml:9` EXC-0004 ends with the move on 2027-02-01 because retainOnMove is false. Set retainOnMove: true and list it in the move’s retain, or let it end. (`exception-cut-by-move`)',
    );
    expect(md.indexOf('validation warning')).toBeLessThan(md.indexOf('**Alice Nguyen**'));
  });

  it("puts the run's notes in the comment", () => {
    const md = renderPlanMarkdown(plan, names, {
      notes: ["planned with the base branch's connections (providers.okta differs)."],
    });
    expect(md).toContain("> **Note:** planned with the base branch's connections (providers.okta differs).");
  });

  it('says what merge does, when, in the organisation zone, and which check decides', () => {
    const md = renderPlanMarkdown(plan, names, {
      zone: NY,
      scheduled: [
        {
          person: 'marta.diaz',
          name: 'Marta Diaz',
          at: Date.parse('2027-02-15T05:00:00Z'),
          account: 'starts',
          gains: [],
          loses: [],
        },
      ],
    });
    expect(md).toContain(
      "**On merge:** Marta Diaz's access starts 2027-02-15 00:00 America/New_York; the rest applies at once.",
    );
    expect(md).toContain('**Decided by** the check `jml/approvals`');
  });

  it('without the base branch, says only what applies at once', () => {
    const md = renderPlanMarkdown(plan, names, { zone: NY });
    expect(md).toContain(
      '**On merge:** the apply workflow makes this change at once; anything dated later waits for the scheduled apply, when it comes due.',
    );
  });
});

describe("times in the organisation's zone, to the minute", () => {
  it('shows the plan instant, event instants and instants inside reasons in the zone, DST included', () => {
    const plan = planOf(
      [
        change({
          action: 'disableUser',
          provider: 'okta',
          person: 'ben.carter',
          login: 'ben@example.com',
          event: { kind: 'leaver', date: '2027-03-31T17:00:00-04:00' },
          because: ['leaver: employment ended 2027-03-31T21:00:00.000Z at people/ben.carter.yaml:9'],
        }),
      ],
      '2027-03-31T21:05:00.000Z',
    );
    const md = renderPlanMarkdown(plan, names, { zone: NY });
    expect(md).toContain('Planned at 2027-03-31 17:05 (America/New_York, the zone of every time below)');
    expect(md).toContain('· leaver at 2027-03-31 17:00 ·');
    expect(md).toContain('# leaver: employment ended 2027-03-31 17:00');
    expect(md).not.toMatch(/\d{2}:\d{2}:\d{2}/);
    // In winter New York is five hours behind UTC, in summer four.
    expect(localiseInstants('2027-01-15T22:00:00.000Z and 2027-07-15T21:00:00.000Z', NY)).toBe(
      '2027-01-15 17:00 and 2027-07-15 17:00',
    );
  });

  it('keeps a fence that a reason with backticks cannot close', () => {
    const plan = planOf([
      change({
        action: 'grant',
        provider: 'okta',
        person: 'alice.nguyen',
        login: 'alice@example.com',
        entitlement: 'x',
        target: { kind: 'group', target: 'x' },
        because: ['odd ```\n# injected'],
      }),
    ]);
    const md = renderPlanMarkdown(plan, names, { zone: NY });
    expect(md).toContain('````diff\n+ okta  group  x  # odd ``` # injected\n````');
  });
});

describe('the dated changes a pull request schedules (scheduledByMerge)', () => {
  it('finds a new end and a later start, and not what the base already schedules', () => {
    const base = copyFixture('org');
    const head = copyFixture('org');
    const dee = readRepoFile(head, 'people/dee.dev.yaml');
    writeRepoFile(
      head,
      'people/dee.dev.yaml',
      dee.replace('  start: 2023-04-03\n', '  start: 2023-04-03\n  end: 2027-03-31T17:00:00-04:00\n'),
    );
    const jo = readRepoFile(head, 'people/jo.joiner.yaml');
    writeRepoFile(head, 'people/jo.joiner.yaml', jo.replaceAll('2027-02-01', '2027-02-15'));
    const at = Date.parse('2026-12-01T15:00:00Z');
    const scheduled = scheduledByMerge(indexCheckout(base), indexCheckout(head), at);
    expect(scheduled.map((s) => [s.person, new Date(s.at).toISOString(), s.account])).toEqual([
      ['jo.joiner', '2027-02-15T05:00:00.000Z', 'starts'],
      ['dee.dev', '2027-03-31T21:00:00.000Z', 'ends'],
    ]);
    // Mo Mover's move on 2027-02-01 is on both sides: not this pull request's doing.
    expect(scheduled.some((s) => s.person === 'mo.mover')).toBe(false);
  });
});
