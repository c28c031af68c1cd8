/**
 * `jml approvals --base DIR --changes FILE`: the pull request as the GitHub REST API returns it
 * (the `pull` object is a real GitHub pull request from @octokit/webhooks-examples), exit codes,
 * formats, and errors that name the file and line.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import webhooks from '@octokit/webhooks-examples';
import { afterAll, describe, expect, it } from 'vitest';
import { type PullRequestData, parsePullRequestData } from '../../src/approvals/pull-request.js';
import type { Decision } from '../../src/approvals/types.js';
import { APPROVALS_EXIT } from '../../src/cli/approvals-command.js';
import { cleanTempDirs, jml, type RunResult, tempDir, writeRepoFile } from '../engine/helpers.js';
import { editYaml, HEAD_SHA, OLD_SHA, scenario } from './helpers.js';

afterAll(cleanTempDirs);

/** `jml -C head approvals ...args`, through the CLI as users run it. */
function run(head: string, ...args: string[]): Promise<RunResult> {
  return jml(head, 'approvals', ...args);
}

/** A real pull request object from GitHub's webhook examples, as pulls/{n} returns it. */
function realPull(author: string): PullRequestData['pull'] {
  const def = (webhooks as unknown as { name: string; examples: { pull_request: unknown }[] }[]).find(
    (d) => d.name === 'pull_request',
  )!;
  const pull = structuredClone(def.examples[0]!.pull_request) as {
    user: { login: string };
    head: { sha: string };
    base: { sha: string };
  } & PullRequestData['pull'];
  pull.user.login = author;
  pull.head.sha = HEAD_SHA;
  return pull;
}

const restReview = (login: string | null, state: string, commit = HEAD_SHA, at = '2026-11-20T10:00:00Z') => ({
  id: 80,
  node_id: 'MDE3OlB1bGxSZXF1ZXN0UmV2aWV3ODA=',
  user: login === null ? null : { login, id: 1, type: 'User' },
  body: '',
  state,
  html_url: 'https://github.com/octo/jml/pull/12#pullrequestreview-80',
  commit_id: commit,
  submitted_at: state === 'PENDING' ? undefined : at,
  author_association: 'MEMBER',
});

function writeChanges(data: unknown): string {
  const file = path.join(tempDir('jml-approvals-'), 'changes.json');
  writeRepoFile(path.dirname(file), 'changes.json', `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

/** alice.nguyen gains the employee role: her manager grace.lin and HR must approve. */
function moverScenario() {
  return scenario((head) =>
    editYaml(head, 'people/alice.nguyen.yaml', (p) => {
      (p.roles as unknown[]).push({ role: 'employee', from: '2027-01-04' });
    }),
  );
}
const moverFiles = [
  {
    sha: 'c'.repeat(40),
    filename: 'people/alice.nguyen.yaml',
    status: 'modified',
    additions: 2,
    deletions: 0,
  },
];

describe('jml approvals (command)', () => {
  it('exits 0 and explains each rule when the manager and HR approved the head commit', async () => {
    const s = moverScenario();
    const changes = writeChanges({
      pull: realPull('pat-p'),
      files: moverFiles,
      reviews: [restReview('grace-l', 'APPROVED'), restReview('hana-h', 'APPROVED')],
    });
    const r = await run(s.head, '--base', s.base, '--changes', changes, '--format', 'json');
    expect(r.err).toBe('');
    expect(r.code).toBe(APPROVALS_EXIT.approved);
    const d = JSON.parse(r.out) as Decision;
    expect(d.approved).toBe(true);
    expect(d.author).toBe('pat-p');
    expect(d.requirements.map((q) => [q.rule, q.file, q.status, q.satisfiedBy])).toEqual([
      ['hr-team', 'people/alice.nguyen.yaml', 'met', 'hana-h'],
      ['manager-approval', 'people/alice.nguyen.yaml', 'met', 'grace-l'],
    ]);
    // The line is the role entry the pull request adds, in the head file.
    const lines = readFileSync(path.join(s.head, 'people/alice.nguyen.yaml'), 'utf8').split('\n');
    expect(lines[d.requirements[0]!.line - 1]).toMatch(/role: employee/);
  });

  it('exits 3 when a requirement is missing, with a markdown checklist for the comment', async () => {
    const s = moverScenario();
    const changes = writeChanges({
      pull: realPull('pat-p'),
      files: moverFiles,
      reviews: [restReview('grace-l', 'APPROVED', OLD_SHA), restReview('hana-h', 'APPROVED')],
    });
    const r = await run(s.head, '--base', s.base, '--changes', changes, '--format', 'markdown');
    expect(r.code).toBe(APPROVALS_EXIT.notApproved);
    expect(r.out).toContain('Not approved: 1 of 2 approval requirements missing.');
    expect(r.out).toMatch(
      /^- \[ \] \*\*manager-approval\*\* · `people\/alice\.nguyen\.yaml:\d+` .*\\\n {2}needs approval from the manager of record grace\.lin\\$/m,
    );
    expect(r.out).toContain('before the latest push');
    const text = await run(s.head, '--base', s.base, '--changes', changes);
    expect(text.code).toBe(3);
    expect(text.out).toMatch(
      /^\[MISSING\] people\/alice\.nguyen\.yaml:\d+ {2}needs approval from the manager/m,
    );
  });

  it('reads webhook-style lower-case states and drops pending reviews and deleted accounts', async () => {
    const s = moverScenario();
    const changes = writeChanges({
      pull: realPull('pat-p'),
      files: moverFiles,
      reviews: [
        restReview('grace-l', 'approved'),
        restReview(null, 'APPROVED'),
        restReview('hana-h', 'PENDING'),
      ],
    });
    const r = await run(s.head, '--base', s.base, '--changes', changes, '--format', 'json');
    const d = JSON.parse(r.out) as Decision;
    expect(r.code).toBe(3);
    expect(d.reviewers.map((x) => x.login)).toEqual(['grace-l']);
    expect(d.requirements.find((q) => q.rule === 'hr-team')?.status).toBe('missing');
  });

  it('an exception renamed to a new id with the same content is an edit, not a new grant', async () => {
    const s = scenario((head) => {
      editYaml(head, 'exceptions/EXC-0001.yaml', (e) => {
        e.id = 'EXC-0009';
      });
      writeRepoFile(
        head,
        'exceptions/EXC-0009.yaml',
        readFileSync(path.join(head, 'exceptions/EXC-0001.yaml'), 'utf8'),
      );
      writeRepoFile(head, 'exceptions/EXC-0001.yaml', '');
    });
    const { rmSync } = await import('node:fs');
    rmSync(path.join(s.head, 'exceptions/EXC-0001.yaml'));
    const files = [
      {
        filename: 'exceptions/EXC-0009.yaml',
        status: 'renamed',
        previous_filename: 'exceptions/EXC-0001.yaml',
      },
    ];
    const changes = writeChanges({
      pull: realPull('pat-p'),
      files,
      reviews: [restReview('sam-s', 'APPROVED')],
    });
    const r = await run(s.head, '--base', s.base, '--changes', changes, '--format', 'json');
    const d = JSON.parse(r.out) as Decision;
    expect(d.requirements.map((q) => [q.rule, q.status, q.change])).toEqual([
      ['exception-reduced', 'met', 'exception EXC-0009 for alice.nguyen edited without granting more'],
    ]);
    expect(r.code).toBe(0);
  });

  it('names the file, line and field of a malformed --changes file and exits 1', async () => {
    const s = moverScenario();
    const changes = writeChanges({
      pull: realPull('pat-p'),
      files: moverFiles,
      reviews: [restReview('grace-l', 'APPROVED'), restReview('hana-h', 'LGTM')],
    });
    const r = await run(s.head, '--base', s.base, '--changes', changes);
    expect(r.code).toBe(APPROVALS_EXIT.error);
    const m = /changes\.json:(\d+): reviews\[1\]\.state: /.exec(r.err);
    expect(m, r.err).not.toBeNull();
    const line = readFileSync(changes, 'utf8').split('\n')[Number(m![1]) - 1];
    expect(line).toContain('"LGTM"');
    expect(r.out).toBe('');
  });

  it('names the line of a JSON syntax error and exits 1', async () => {
    const s = moverScenario();
    const file = path.join(tempDir('jml-approvals-'), 'changes.json');
    writeRepoFile(path.dirname(file), 'changes.json', '{\n  "pull": {},\n  "files": [,]\n}\n');
    const r = await run(s.head, '--base', s.base, '--changes', file);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/changes\.json:3: not valid JSON/);
  });

  it('exits 1 when the base checkout is missing or has no policy', async () => {
    const s = moverScenario();
    const changes = writeChanges({ pull: realPull('pat-p'), files: moverFiles, reviews: [] });
    const missing = await run(s.head, '--base', path.join(s.base, 'nope'), '--changes', changes);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no such directory/);
    const empty = tempDir('jml-approvals-');
    const noPolicy = await run(s.head, '--base', empty, '--changes', changes);
    expect(noPolicy.code).toBe(1);
    expect(noPolicy.err).toMatch(
      /the base branch, so its teams are unknown\): policy\/jml\.yaml does not load/,
    );
  });

  it('maps GitHub file statuses: copied is added, unchanged is skipped', () => {
    const facts = parsePullRequestData(
      JSON.stringify({
        pull: realPull('pat-p'),
        files: [
          { filename: 'people/a.yaml', status: 'copied', previous_filename: 'people/b.yaml' },
          { filename: 'people/c.yaml', status: 'unchanged' },
          { filename: 'people/d.yaml', status: 'changed' },
        ],
        reviews: [],
      }),
      'changes.json',
    );
    expect(facts.files).toEqual([
      { path: 'people/a.yaml', status: 'added' },
      { path: 'people/d.yaml', status: 'modified' },
    ]);
    expect(facts.headSha).toBe(HEAD_SHA);
  });
});
