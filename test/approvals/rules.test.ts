/**
 * The table of approval rules (src/approvals/rules/index.ts), each run alone over pull requests
 * that exercise it: a rule adds only the requirement ids it declares, each declared id is added by
 * some case, and decide is the table run in order (its requirements are the rules' needs,
 * evaluated and sorted).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type DecisionInput, decide } from '../../src/approvals/decide.js';
import { decisionContext } from '../../src/approvals/rules/context.js';
import { DECISION_RULES } from '../../src/approvals/rules/index.js';
import { loadRepository } from '../../src/load/load-repo.js';
import { lineOf } from '../../src/load/source.js';
import type { RepoIndex } from '../../src/resolve/repo-index.js';
import { validateRepository } from '../../src/validate/validate.js';
import { cleanTempDirs, writeRepoFile } from '../engine/helpers.js';
import { changedFiles, editYaml, HEAD_SHA, NOW, removeFile, scenario, writeYaml } from './helpers.js';

afterAll(cleanTempDirs);

function indexOf(root: string): RepoIndex {
  const loaded = loadRepository(root);
  return validateRepository(loaded.repo, NOW).index!;
}

const edits: Record<string, (head: string, base: string) => void> = {
  'a joiner with a retained exception, a mover and a leaver': (head) => {
    writeYaml(head, 'people/nina.new.yaml', {
      id: 'nina.new',
      name: 'Nina New',
      email: 'nina.new@example.com',
      github: 'nina-n',
      manager: 'grace.lin',
      department: 'Engineering',
      employment: { start: '2026-12-01' },
      roles: [{ role: 'engineer', from: '2026-12-01', retain: ['EXC-0001'] }],
    });
    editYaml(head, 'people/alice.nguyen.yaml', (p) => {
      (p.roles as unknown[]).push({ role: 'employee', from: '2027-01-04', retain: ['EXC-0001'] });
      p.email = 'alice.n@example.com';
      p.title = 'Engineer';
    });
    // A high-risk exception kept through a move, and a mover without a manager.
    writeYaml(head, 'exceptions/EXC-0003.yaml', {
      id: 'EXC-0003',
      person: 'ceo.chief',
      entitlements: ['prod-db-admin'],
      justification: 'Payments migration on-call (OPS-1234).',
      approvers: ['omar.owner'],
      from: '2026-11-20',
      expires: '2027-01-15',
      retainOnMove: true,
    });
    editYaml(head, 'people/ceo.chief.yaml', (p) => {
      (p.roles as unknown[]).push({ role: 'engineer', from: '2027-01-04', retain: ['EXC-0003'] });
    });
    editYaml(head, 'people/pat.peer.yaml', (p) => {
      (p.employment as Record<string, unknown>).end = '2026-12-18T17:00:00-05:00';
    });
    removeFile(head, 'people/ron.roles.yaml');
  },
  'a new high-risk exception, and one shortened': (head) => {
    writeYaml(head, 'exceptions/EXC-0002.yaml', {
      id: 'EXC-0002',
      person: 'alice.nguyen',
      entitlements: ['prod-db-admin'],
      justification: 'Payments migration on-call (OPS-1234).',
      approvers: ['grace.lin', 'bob.boss'],
      from: '2026-11-20',
      expires: '2027-01-15',
    });
    editYaml(head, 'exceptions/EXC-0001.yaml', (x) => {
      x.expires = '2026-12-01';
      x.approvers = ['grace.lin', 'hana.hr'];
    });
  },
  'a role template, the catalog and a policy value': (head) => {
    editYaml(head, 'roles/engineer.yaml', (r) => {
      (r.entitlements as string[]).push('prod-db-admin');
    });
    editYaml(head, 'policy/entitlements.yaml', (list) => {
      (list as unknown as Record<string, unknown>[])[0]!.target = 'everybody';
    });
    editYaml(head, 'policy/jml.yaml', (p) => {
      (p.teams as Record<string, string[]>).hr = ['hana.hr', 'pat.peer'];
    });
  },
  'code, the written policy and documentation': (head) => {
    writeRepoFile(head, 'src/cli/main.ts', '// changed\n');
    writeRepoFile(head, 'policy/JML-POLICY.md', '# Policy\n');
    writeRepoFile(head, 'docs/notes.md', 'notes\n');
  },
  'a reviewer file removed, and one added': (head, base) => {
    writeYaml(base, 'reviews/2026-Q4/grace.lin.yaml', {
      quarter: '2026-Q4',
      reviewer: 'grace.lin',
      items: [],
    });
    writeYaml(head, 'reviews/2026-Q4/bob.boss.yaml', { quarter: '2026-Q4', reviewer: 'bob.boss', items: [] });
  },
  'an exception granted to someone through a file the loader reads': (head) => {
    editYaml(head, 'exceptions/EXC-0001.yaml', (x) => {
      x.entitlements = ['bigquery-analysts', 'prod-db-admin'];
    });
  },
};

const inputs = Object.entries(edits).map(([name, edit]) => {
  const s = scenario(edit);
  const input: DecisionInput = {
    base: indexOf(s.base),
    head: indexOf(s.head),
    files: changedFiles(s.base, s.head),
    author: 'pat-p',
    headSha: HEAD_SHA,
    reviews: [],
    now: NOW,
    headProblems: [
      {
        severity: 'error',
        rule: 'unknown-role',
        file: 'people/x.yaml',
        line: 3,
        column: 1,
        message: 'm',
        hint: 'h',
      },
    ],
  };
  return { name, input };
});

/** The requirement ids each rule adds when run alone, per case. */
function runAlone(input: DecisionInput): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const rule of DECISION_RULES) {
    const ctx = decisionContext(input);
    rule.check(ctx);
    out.set(rule.name, [...ctx.found.needs.map((n) => n.rule), ...ctx.found.refused.map((r) => r.rule)]);
  }
  return out;
}

describe('the approval rules table', () => {
  const runs = inputs.map(({ name, input }) => ({ name, byRule: runAlone(input) }));

  it('names each rule once', () => {
    const names = DECISION_RULES.map((r) => r.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it('each rule adds only the requirement ids it declares', () => {
    const stray: string[] = [];
    for (const r of runs)
      for (const rule of DECISION_RULES)
        for (const id of r.byRule.get(rule.name)!)
          if (!rule.rules.includes(id)) stray.push(`${r.name}: ${rule.name} added ${id}`);
    expect(stray).toEqual([]);
  });

  it('every requirement id a rule declares is added by some case', () => {
    const missing: string[] = [];
    for (const rule of DECISION_RULES) {
      const added = new Set(runs.flatMap((r) => r.byRule.get(rule.name)!));
      for (const id of rule.rules) if (!added.has(id)) missing.push(`${rule.name}: ${id}`);
    }
    // A person field no rule knows is refused as unclassified; the model refuses unknown fields
    // today, so only a field added to the model later (without a rule) can reach it.
    expect(missing).toEqual(['people: unclassified-change']);
  });

  it('decide is the table run in order: its requirements are the rules’ findings, sorted', () => {
    for (const { name, input } of inputs) {
      const ctx = decisionContext(input);
      for (const rule of DECISION_RULES) rule.check(ctx);
      const found = [
        ...ctx.found.needs.map((n) => `${n.rule} ${n.ref.file}:${lineOf(n.ref)} ${n.change}`),
        ...ctx.found.refused.map((r) => `${r.rule} ${r.file}:${r.line} ${r.change}`),
      ].sort();
      const decided = decide(input)
        .requirements.map((r) => `${r.rule} ${r.file}:${r.line} ${r.change}`)
        .sort();
      expect(decided, name).toEqual(found);
    }
  });
});
