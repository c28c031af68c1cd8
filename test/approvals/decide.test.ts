/**
 * The approval rules, one sentence per case. Each case copies the fixture organisation
 * (test/fixtures/approvals/org) as the base and the head, edits the head, lists the changed files
 * as GitHub would, and decides with real reviews. See the fixture README for who is who.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Decision, Review } from '../../src/approvals/types.js';
import { cleanTempDirs, writeRepoFile } from '../engine/helpers.js';
import {
  approve,
  decideScenario,
  editYaml,
  removeFile,
  review,
  scenario,
  staleApprove,
  writeYaml,
} from './helpers.js';

afterAll(cleanTempDirs);

type Edit = (head: string, base: string) => void;

interface Case {
  name: string;
  edit: Edit;
  /** GitHub login of the pull request's author; pat-p (pat.peer) unless given. */
  author?: string;
  reviews: () => Review[];
  approved: boolean;
  /** Rule ids that must be met (optionally `rule@login`: met by that login). */
  met?: string[];
  /** Rule ids that must be missing. */
  missing?: string[];
  /** Text that some missing requirement's why (or description) must contain. */
  because?: RegExp;
}

// --- edits of the head ----------------------------------------------------------------------------

const addRole =
  (person: string, role = 'engineer', from = '2027-01-04'): Edit =>
  (head) =>
    editYaml(head, `people/${person}.yaml`, (p) => {
      (p.roles as unknown[]).push({ role, from });
    });

const setEnd =
  (person: string, end = '2026-12-18T17:00:00-05:00'): Edit =>
  (head) =>
    editYaml(head, `people/${person}.yaml`, (p) => {
      (p.employment as Record<string, unknown>).end = end;
    });

const exception = (over: Record<string, unknown>) => ({
  id: 'EXC-0002',
  person: 'alice.nguyen',
  entitlements: ['bigquery-analysts'],
  justification: 'Quarter-end analysis (DATA-500).',
  approvers: ['grace.lin'],
  from: '2026-11-23',
  expires: '2027-01-15',
  ...over,
});
const addException =
  (over: Record<string, unknown> = {}): Edit =>
  (head) =>
    writeYaml(head, 'exceptions/EXC-0002.yaml', exception(over));

const editException =
  (edit: (e: Record<string, unknown>) => void): Edit =>
  (head) =>
    editYaml(head, 'exceptions/EXC-0001.yaml', edit);

const addToEngineer: Edit = (head) =>
  editYaml(head, 'roles/engineer.yaml', (r) => {
    (r.entitlements as string[]).push('aws-dev-readonly');
  });

const both =
  (...edits: Edit[]): Edit =>
  (head, base) => {
    for (const e of edits) e(head, base);
  };

// --- the cases ------------------------------------------------------------------------------------

const cases: Case[] = [
  // people: movers
  {
    name: 'the manager approves a role change that HR opened: approved',
    edit: addRole('alice.nguyen', 'employee'),
    author: 'hana-h',
    reviews: () => [approve('grace-l')],
    approved: true,
    met: ['manager-approval@grace-l', 'hr-team@hana-h'],
  },
  {
    name: 'the manager and HR approve a role change opened by a colleague: approved',
    edit: addRole('alice.nguyen', 'employee'),
    reviews: () => [approve('grace-l'), approve('hana-h')],
    approved: true,
    met: ['manager-approval@grace-l', 'hr-team@hana-h'],
  },
  {
    name: 'HR alone approves a role change: the manager is missing',
    edit: addRole('alice.nguyen', 'employee'),
    reviews: () => [approve('hana-h')],
    approved: false,
    met: ['hr-team@hana-h'],
    missing: ['manager-approval'],
    because: /grace\.lin \(GitHub @grace-l\) has not reviewed/,
  },
  {
    name: "the author self-approves: the author's approval does not count",
    edit: addRole('alice.nguyen', 'employee'),
    author: 'grace-l',
    reviews: () => [approve('grace-l'), approve('hana-h')],
    approved: false,
    missing: ['manager-approval'],
    because: /@grace-l is the pull request's author, whose approval never counts/,
  },
  {
    name: 'the person whose access changes approves: it does not count',
    edit: addRole('hana.hr', 'engineer'),
    reviews: () => [approve('hana-h'), approve('ceo-c')],
    approved: false,
    met: ['manager-approval@ceo-c'],
    missing: ['hr-team'],
    because: /hana\.hr is the person whose access this file changes, and nobody approves their own access/,
  },
  {
    name: 'the person whose access changes opened the pull request as HR: authorship does not count',
    edit: addRole('hana.hr', 'engineer'),
    author: 'hana-h',
    reviews: () => [approve('ceo-c')],
    approved: false,
    missing: ['hr-team'],
  },
  {
    name: 'the manager approved before the last push: the approval is stale',
    edit: addRole('alice.nguyen', 'employee'),
    reviews: () => [staleApprove('grace-l'), approve('hana-h')],
    approved: false,
    missing: ['manager-approval'],
    because: /@grace-l approved bbbbbbb, before the latest push \(aaaaaaa\): the approval is stale/,
  },
  {
    name: 'the manager approved, was asked again after a push and approved the head: approved',
    edit: addRole('alice.nguyen', 'employee'),
    reviews: () => [staleApprove('grace-l'), approve('hana-h'), approve('grace-l')],
    approved: true,
  },
  {
    name: 'the manager is changed in the same pull request and the new manager approves: the base manager still rules',
    edit: both(addRole('alice.nguyen', 'employee'), (head) =>
      editYaml(head, 'people/alice.nguyen.yaml', (p) => {
        p.manager = 'bob.boss';
      }),
    ),
    reviews: () => [approve('bob-b'), approve('hana-h')],
    approved: false,
    missing: ['manager-approval'],
    because: /manager of record grace\.lin \(GitHub @grace-l\) as of the base branch/,
  },
  {
    name: 'a manager change approved by HR alone is not approved: the manager of record must approve too',
    edit: (head) =>
      editYaml(head, 'people/alice.nguyen.yaml', (p) => {
        p.manager = 'bob.boss';
      }),
    reviews: () => [approve('hana-h')],
    approved: false,
    met: ['hr-team@hana-h'],
    missing: ['identity-change'],
  },
  {
    name: 'a manager change approved by HR and the manager of record: approved',
    edit: (head) =>
      editYaml(head, 'people/alice.nguyen.yaml', (p) => {
        p.manager = 'bob.boss';
      }),
    reviews: () => [approve('hana-h'), approve('grace-l')],
    approved: true,
    met: ['hr-team@hana-h', 'identity-change@grace-l'],
  },
  {
    name: 'the manager approves and then requests changes: not approved',
    edit: addRole('alice.nguyen', 'employee'),
    reviews: () => [approve('grace-l'), approve('hana-h'), review('grace-l', 'CHANGES_REQUESTED')],
    approved: false,
    missing: ['manager-approval'],
    because: /@grace-l requested changes after approving, which withdraws the approval/,
  },
  {
    name: 'the manager approves and then only comments: the approval stands',
    edit: addRole('alice.nguyen', 'employee'),
    reviews: () => [approve('grace-l'), approve('hana-h'), review('grace-l', 'COMMENTED')],
    approved: true,
  },
  {
    name: "the manager's approval was dismissed: not approved",
    edit: addRole('alice.nguyen', 'employee'),
    reviews: () => [review('grace-l', 'DISMISSED'), approve('hana-h')],
    approved: false,
    missing: ['manager-approval'],
    because: /@grace-l's review was dismissed/,
  },
  {
    name: 'an unknown GitHub login approves: it counts for nobody',
    edit: addRole('alice.nguyen', 'employee'),
    reviews: () => [approve('mallory-x'), approve('hana-h')],
    approved: false,
    missing: ['manager-approval'],
  },
  {
    name: 'a login is matched to its person without regard to case',
    edit: addRole('alice.nguyen', 'employee'),
    reviews: () => [approve('Grace-L'), approve('HANA-H')],
    approved: true,
    met: ['manager-approval@Grace-L'],
  },
  {
    name: 'a github login added to a person in the same pull request does not make their approval count',
    edit: both(addRole('alice.nguyen', 'employee'), (head) =>
      editYaml(head, 'people/grace.lin.yaml', (p) => {
        p.github = 'grace-new';
      }),
    ),
    reviews: () => [approve('grace-new'), approve('hana-h')],
    approved: false,
    missing: ['manager-approval'],
  },
  {
    name: 'the top of the organisation has no manager: security approves instead',
    edit: addRole('ceo.chief', 'engineer'),
    reviews: () => [approve('sam-s'), approve('hana-h')],
    approved: true,
    met: ['security-team@sam-s', 'hr-team@hana-h'],
  },
  // people: leavers and joiners
  {
    name: 'a leaver approved by HR only: approved',
    edit: setEnd('alice.nguyen'),
    reviews: () => [approve('hana-h')],
    approved: true,
    met: ['leaver-manager-or-hr@hana-h', 'hr-team@hana-h'],
  },
  {
    name: 'a leaver opened by HR and approved by the manager: approved',
    edit: setEnd('alice.nguyen'),
    author: 'hana-h',
    reviews: () => [approve('grace-l')],
    approved: true,
    met: ['leaver-manager-or-hr@grace-l', 'hr-team@hana-h'],
  },
  {
    name: 'a leaver opened by HR with no approval at all: not approved',
    edit: setEnd('alice.nguyen'),
    author: 'hana-h',
    reviews: () => [],
    approved: false,
    missing: ['leaver-manager-or-hr'],
  },
  {
    name: 'a leaver approved by the manager only: HR is missing',
    edit: setEnd('alice.nguyen'),
    reviews: () => [approve('grace-l')],
    approved: false,
    missing: ['hr-team'],
  },
  {
    name: 'a leaver date moved later is not a leaver: the manager must approve',
    edit: both(setEnd('alice.nguyen', '2026-12-18T17:00:00-05:00'), (_head, base) =>
      setEnd('alice.nguyen', '2026-12-01T17:00:00-05:00')(base, base),
    ),
    reviews: () => [approve('hana-h')],
    approved: false,
    missing: ['manager-approval'],
  },
  {
    name: 'a leaver whose roles change in the same pull request needs the manager too',
    edit: both(setEnd('alice.nguyen'), addRole('alice.nguyen', 'employee')),
    reviews: () => [approve('hana-h')],
    approved: false,
    missing: ['manager-approval'],
  },
  {
    name: 'a person file removed by HR (with their exception) is treated as a leaver: approved by HR',
    edit: (head) => {
      removeFile(head, 'people/alice.nguyen.yaml');
      removeFile(head, 'exceptions/EXC-0001.yaml');
    },
    reviews: () => [approve('hana-h')],
    approved: true,
    met: ['leaver-manager-or-hr@hana-h'],
  },
  {
    name: 'a joiner approved by the manager and HR: approved',
    edit: (head) =>
      writeYaml(head, 'people/jo.joiner.yaml', {
        id: 'jo.joiner',
        name: 'Jo Joiner',
        email: 'jo.joiner@example.com',
        github: 'jo-j',
        manager: 'grace.lin',
        department: 'Engineering',
        employment: { start: '2027-01-04' },
        roles: [{ role: 'engineer', from: '2027-01-04' }],
      }),
    reviews: () => [approve('grace-l'), approve('hana-h')],
    approved: true,
    met: ['manager-approval@grace-l', 'hr-team@hana-h'],
  },
  {
    name: 'a joiner approved by the manager only: HR is missing',
    edit: (head) =>
      writeYaml(head, 'people/jo.joiner.yaml', {
        id: 'jo.joiner',
        name: 'Jo Joiner',
        email: 'jo.joiner@example.com',
        manager: 'grace.lin',
        department: 'Engineering',
        employment: { start: '2027-01-04' },
        roles: [{ role: 'engineer', from: '2027-01-04' }],
      }),
    reviews: () => [approve('grace-l')],
    approved: false,
    missing: ['hr-team'],
  },
  {
    name: 'a joiner whose manager joins in the same pull request cannot be approved by that manager',
    edit: (head) => {
      for (const [id, manager] of [
        ['max.new', 'ceo.chief'],
        ['jo.joiner', 'max.new'],
      ] as const) {
        writeYaml(head, `people/${id}.yaml`, {
          id,
          name: id,
          email: `${id}@example.com`,
          github: id.replace('.', '-'),
          manager,
          department: 'Engineering',
          employment: { start: '2027-01-04' },
          roles: [{ role: 'engineer', from: '2027-01-04' }],
        });
      }
    },
    reviews: () => [approve('max-new'), approve('ceo-c'), approve('hana-h')],
    approved: false,
    missing: ['manager-approval'],
    because: /max\.new is not a person on the base branch/,
  },
  {
    name: 'a person file that does not load on the head blocks the decision',
    edit: (head) => writeRepoFile(head, 'people/alice.nguyen.yaml', 'id: alice.nguyen\nname: [\n'),
    reviews: () => [approve('grace-l'), approve('hana-h')],
    approved: false,
    missing: ['head-invalid'],
  },
  // exceptions
  {
    name: "a new exception without the manager's approval: not approved",
    edit: addException(),
    reviews: () => [approve('hana-h'), approve('sam-s')],
    approved: false,
    missing: ['manager-approval', 'listed-approver'],
  },
  {
    name: 'a new exception approved by the manager it lists: approved',
    edit: addException(),
    reviews: () => [approve('grace-l')],
    approved: true,
    met: ['manager-approval@grace-l', 'listed-approver@grace-l', 'approvers-recorded'],
  },
  {
    name: "a high-risk exception without the entitlement owner's approval: not approved",
    edit: addException({ entitlements: ['prod-db-admin'], approvers: ['grace.lin', 'omar.owner'] }),
    reviews: () => [approve('grace-l')],
    approved: false,
    met: ['manager-approval@grace-l'],
    missing: ['entitlement-owner-approval', 'listed-approver'],
    because: /prod-db-admin is high-risk: needs approval from its owner omar\.owner/,
  },
  {
    name: 'a high-risk exception approved by the manager and the owner, both listed: approved',
    edit: addException({ entitlements: ['prod-db-admin'], approvers: ['grace.lin', 'omar.owner'] }),
    reviews: () => [approve('grace-l'), approve('omar-o')],
    approved: true,
    met: ['entitlement-owner-approval@omar-o'],
  },
  {
    name: 'a high-risk exception whose file leaves the owner out of approvers: not approved',
    edit: addException({ entitlements: ['prod-db-admin'], approvers: ['grace.lin'] }),
    reviews: () => [approve('grace-l'), approve('omar-o')],
    approved: false,
    missing: ['approvers-recorded'],
    because: /add omar\.owner to approvers/,
  },
  {
    name: 'an exception lowering its entitlement to low risk in the same pull request still needs the owner',
    edit: both(addException({ entitlements: ['prod-db-admin'], approvers: ['grace.lin'] }), (head) =>
      editYaml(head, 'policy/entitlements.yaml', (list) => {
        for (const e of list as unknown as Record<string, unknown>[])
          if (e.id === 'prod-db-admin') e.risk = 'low';
      }),
    ),
    reviews: () => [approve('grace-l'), approve('sam-s')],
    approved: false,
    missing: ['entitlement-owner-approval'],
  },
  {
    name: 'an exception approvers list names someone who did not approve: not approved',
    edit: addException({ approvers: ['grace.lin', 'bob.boss'] }),
    reviews: () => [approve('grace-l')],
    approved: false,
    missing: ['listed-approver'],
    because: /lists bob\.boss \(GitHub @bob-b\) as an approver: they must really approve/,
  },
  {
    name: 'an exception listing its own person as approver can never be approved by them',
    edit: addException({ approvers: ['grace.lin', 'alice.nguyen'] }),
    reviews: () => [approve('grace-l'), approve('alice-ng')],
    approved: false,
    missing: ['listed-approver'],
    because: /alice\.nguyen is the person whose access this exception grants/,
  },
  {
    name: 'an extended exception (a later expiry) needs the approvals again',
    edit: editException((e) => {
      e.expires = '2027-02-10';
    }),
    reviews: () => [approve('hana-h')],
    approved: false,
    missing: ['manager-approval', 'listed-approver'],
  },
  {
    name: 'an extended exception approved again by the manager: approved',
    edit: editException((e) => {
      e.expires = '2027-02-10';
    }),
    reviews: () => [approve('grace-l')],
    approved: true,
  },
  {
    name: 'an exception given to someone else needs their manager',
    edit: editException((e) => {
      e.person = 'ceo.chief';
    }),
    reviews: () => [approve('grace-l')],
    approved: false,
    missing: ['security-team'],
  },
  {
    name: 'a shortened exception needs one approval from HR, security or the manager: approved by security',
    edit: editException((e) => {
      e.expires = '2026-12-01';
    }),
    reviews: () => [approve('sam-s')],
    approved: true,
    met: ['exception-reduced@sam-s'],
  },
  {
    name: 'a removed exception approved by nobody: not approved',
    edit: (head) => removeFile(head, 'exceptions/EXC-0001.yaml'),
    reviews: () => [approve('bob-b')],
    approved: false,
    missing: ['exception-reduced'],
  },
  {
    name: 'an edited exception that newly lists an approver needs that approver',
    edit: editException((e) => {
      e.justification = 'Reworded.';
      (e.approvers as string[]).push('bob.boss');
    }),
    reviews: () => [approve('hana-h')],
    approved: false,
    met: ['exception-reduced@hana-h'],
    missing: ['listed-approver'],
  },
  // role templates
  {
    name: 'a role template change approved by its owner and security: approved',
    edit: addToEngineer,
    reviews: () => [approve('ron-r'), approve('sam-s')],
    approved: true,
    met: ['role-owner-approval@ron-r', 'security-team@sam-s'],
  },
  {
    name: 'a role template change approved by its owner without security: not approved',
    edit: addToEngineer,
    reviews: () => [approve('ron-r')],
    approved: false,
    missing: ['security-team'],
  },
  {
    name: 'a role template whose owner is changed in the same pull request still needs the base owner',
    edit: both(addToEngineer, (head) =>
      editYaml(head, 'roles/engineer.yaml', (r) => {
        r.owner = 'bob.boss';
      }),
    ),
    reviews: () => [approve('bob-b'), approve('sam-s')],
    approved: false,
    missing: ['role-owner-approval'],
    because: /ron\.roles \(GitHub @ron-r\) has not reviewed/,
  },
  // policy
  {
    name: 'a policy change approved by security: approved',
    edit: (head) =>
      editYaml(head, 'policy/entitlements.yaml', (list) => {
        for (const e of list as unknown as Record<string, unknown>[])
          if (e.id === 'aws-dev-readonly') e.risk = 'high';
      }),
    reviews: () => [approve('sam-s')],
    approved: true,
    met: ['security-team@sam-s'],
  },
  {
    name: 'a team member added in the pull request approves: it does not count (teams come from the base)',
    edit: (head) =>
      editYaml(head, 'policy/jml.yaml', (p) => {
        (p.teams as { security: string[] }).security.push('bob.boss');
      }),
    reviews: () => [approve('bob-b')],
    approved: false,
    missing: ['security-team'],
  },
  {
    name: 'a change to the HR team needs HR as well as security',
    edit: (head) =>
      editYaml(head, 'policy/jml.yaml', (p) => {
        (p.teams as { hr: string[] }).hr.push('bob.boss');
      }),
    reviews: () => [approve('sam-s')],
    approved: false,
    met: ['security-team@sam-s'],
    missing: ['hr-team-change'],
  },
  // other files
  {
    name: 'a code change needs the security team: nobody approved, not approved',
    edit: (head) => writeRepoFile(head, 'scripts/report.ts', 'export {};\n'),
    reviews: () => [],
    approved: false,
    missing: ['code-change'],
  },
  {
    name: 'a code change approved by security: approved',
    edit: (head) => writeRepoFile(head, 'scripts/report.ts', 'export {};\n'),
    reviews: () => [approve('sam-s')],
    approved: true,
    met: ['code-change@sam-s'],
  },
  {
    name: 'a documentation change needs no approval of jml',
    edit: (head) => writeRepoFile(head, 'docs/guide.md', '# Guide\n'),
    reviews: () => [],
    approved: true,
  },
];

function find(d: Decision, spec: string) {
  const [rule, login] = spec.split('@');
  return d.requirements.filter((r) => r.rule === rule && (login === undefined || r.satisfiedBy === login));
}

describe('jml approvals: the rules', () => {
  for (const c of cases) {
    it(c.name, () => {
      const d = decideScenario(scenario(c.edit), { author: c.author, reviews: c.reviews() });
      const explain = JSON.stringify(d.requirements, null, 1);
      expect(d.approved, explain).toBe(c.approved);
      for (const spec of c.met ?? []) {
        expect(
          find(d, spec).some((r) => r.status === 'met'),
          `${spec} met\n${explain}`,
        ).toBe(true);
      }
      for (const rule of c.missing ?? []) {
        expect(
          d.requirements.some((r) => r.rule === rule && r.status === 'missing'),
          `${rule} missing\n${explain}`,
        ).toBe(true);
      }
      if (c.because) {
        const texts = d.requirements.flatMap((r) => [r.why, r.description]);
        expect(
          texts.some((t) => c.because!.test(t)),
          `${c.because}\n${explain}`,
        ).toBe(true);
      }
      // Every requirement points at a file of the pull request and a real line.
      for (const r of d.requirements) expect(r.line).toBeGreaterThanOrEqual(1);
    });
  }
});
