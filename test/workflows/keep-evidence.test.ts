/**
 * scripts/ci/keep-evidence.sh, the apply workflow's evidence step, run for real against a bare
 * git repository standing in for GitHub: records land on the evidence branch under
 * records/YYYY/MM/, later runs append, and nothing is committed when there is no record.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanTempDirs, REPO_ROOT, tempDir } from '../engine/helpers.js';

const SCRIPT = path.join(REPO_ROOT, 'scripts/ci/keep-evidence.sh');
afterAll(cleanTempDirs);

function setUp() {
  const server = tempDir('jml-evidence-');
  execFileSync('git', ['init', '-q', '--bare', path.join(server, 'acme/access.git')]);
  const env = {
    ...process.env,
    GITHUB_TOKEN: 'ghs_not-a-real-token',
    GITHUB_SERVER_URL: `file://${server}`,
    GITHUB_REPOSITORY: 'acme/access',
    GITHUB_RUN_ID: '42',
  };
  return { server, env };
}

function run(cwd: string, env: NodeJS.ProcessEnv, records: Record<string, string>): string {
  mkdirSync(path.join(cwd, '.jml/records'), { recursive: true });
  for (const [name, text] of Object.entries(records))
    writeFileSync(path.join(cwd, '.jml/records', name), text);
  return execFileSync('bash', [SCRIPT], { cwd, env, encoding: 'utf8' });
}

function branchFiles(server: string): string[] {
  return execFileSync(
    'git',
    ['--git-dir', path.join(server, 'acme/access.git'), 'ls-tree', '-r', '--name-only', 'jml-evidence'],
    {
      encoding: 'utf8',
    },
  )
    .trim()
    .split('\n');
}

describe('keep-evidence.sh', () => {
  it('keeps the records of each run on the evidence branch, appending', () => {
    const { server, env } = setUp();
    const month = new Date().toISOString().slice(0, 7).replace('-', '/');
    const out = run(tempDir(), env, { 'a-applied.json': '{"result":"applied"}\n' });
    expect(out).toMatch(/Kept 1 record/);
    run(tempDir(), env, { 'b-partial.json': '{"result":"partial"}\n' });
    expect(branchFiles(server)).toEqual([
      'README.md',
      `records/${month}/a-applied.json`,
      `records/${month}/b-partial.json`,
    ]);
    const log = execFileSync(
      'git',
      ['--git-dir', path.join(server, 'acme/access.git'), 'log', '--format=%s', 'jml-evidence'],
      {
        encoding: 'utf8',
      },
    );
    expect(log).toContain('actions/runs/42');
    expect(log).not.toContain('ghs_not-a-real-token');
  });

  it("keeps the evidence pack's manifest digest under evidence/, in a commit naming the run", () => {
    const { server, env } = setUp();
    run(tempDir(), env, { 'a-applied.json': '{"result":"applied"}\n' });
    const cwd = tempDir();
    mkdirSync(path.join(cwd, 'pack-digest'));
    writeFileSync(path.join(cwd, 'pack-digest', '2026-12-01-42.json'), '{"digest":"sha256:ab"}\n');
    const out = execFileSync('bash', [SCRIPT, 'pack-digest', 'evidence'], { cwd, env, encoding: 'utf8' });
    expect(out).toContain('Kept 1 record(s) on jml-evidence (evidence/)');
    expect(branchFiles(server)).toContain('evidence/2026-12-01-42.json');
    const log = execFileSync(
      'git',
      ['--git-dir', path.join(server, 'acme/access.git'), 'log', '-1', '--format=%s', 'jml-evidence'],
      {
        encoding: 'utf8',
      },
    );
    expect(log.trim()).toBe(`Evidence (evidence/) of file://${server}/acme/access/actions/runs/42`);
  });

  it('never replaces a file already on the branch with other content: the branch is append-only', () => {
    const { server, env } = setUp();
    run(tempDir(), env, { 'a-applied.json': '{"result":"applied"}\n' });
    const month = new Date().toISOString().slice(0, 7).replace('-', '/');
    // The same record again is nothing new; a forged one under the same name is refused.
    expect(run(tempDir(), env, { 'a-applied.json': '{"result":"applied"}\n' })).toMatch(
      /already on jml-evidence/,
    );
    expect(() => run(tempDir(), env, { 'a-applied.json': '{"result":"cancelled"}\n' })).toThrow();
    const kept = execFileSync(
      'git',
      [
        '--git-dir',
        path.join(server, 'acme/access.git'),
        'show',
        `jml-evidence:records/${month}/a-applied.json`,
      ],
      { encoding: 'utf8' },
    );
    expect(kept).toBe('{"result":"applied"}\n');
  });

  it('does nothing when the run wrote no record', () => {
    const { env } = setUp();
    expect(run(tempDir(), env, {})).toMatch(/No apply record/);
    // ... not even ask for a token.
    expect(run(tempDir(), { ...env, GITHUB_TOKEN: '' }, {})).toMatch(/No apply record/);
  });

  it("refuses to push without a token, naming the approvals app's (a mint that failed)", () => {
    const { server, env } = setUp();
    const cwd = tempDir();
    mkdirSync(path.join(cwd, '.jml/records'), { recursive: true });
    writeFileSync(path.join(cwd, '.jml/records/a-applied.json'), '{}\n');
    for (const token of [undefined, '']) {
      const without: NodeJS.ProcessEnv = { ...env, GITHUB_TOKEN: token };
      if (token === undefined) delete without.GITHUB_TOKEN;
      expect(() => execFileSync('bash', [SCRIPT], { cwd, env: without, stdio: 'pipe' })).toThrow(
        /GITHUB_TOKEN must be the approvals app's installation token/,
      );
    }
    expect(() =>
      execFileSync(
        'git',
        ['--git-dir', path.join(server, 'acme/access.git'), 'rev-parse', '--verify', 'jml-evidence'],
        {
          stdio: 'pipe',
        },
      ),
    ).toThrow();
  });
});

describe('restore-holds.sh', () => {
  const RESTORE = path.join(REPO_ROOT, 'scripts/ci/restore-holds.sh');

  it('brings back only the emergency offboarding records, where keep-evidence.sh will not copy them again', () => {
    const { env } = setUp();
    const offboard = '2026-12-01T15-00-00-000Z-offboard-emma.schultz-1a2b3c4d-applied.json';
    run(tempDir(), env, { 'a-applied.json': '{"result":"applied"}\n', [offboard]: '{"offboard":{}}\n' });
    const next = tempDir();
    const out = execFileSync('bash', [RESTORE, '.jml/records'], { cwd: next, env, encoding: 'utf8' });
    expect(out).toContain('Restored 1 offboarding record(s)');
    expect(readdirSync(path.join(next, '.jml/records/restored'))).toEqual([offboard]);
    // The next keep-evidence run keeps its own records only: nothing restored is copied twice.
    expect(run(next, env, {})).toMatch(/No apply record/);
  });

  it('is quiet when the evidence branch does not exist yet', () => {
    const { env } = setUp();
    const out = execFileSync('bash', [RESTORE], { cwd: tempDir(), env, encoding: 'utf8' });
    expect(out).toContain('No jml-evidence branch yet');
  });

  it('fails the job when the repository cannot be read, rather than letting every hold lapse', () => {
    const { env } = setUp();
    const broken = { ...env, GITHUB_REPOSITORY: 'acme/gone' };
    expect(() => execFileSync('bash', [RESTORE], { cwd: tempDir(), env: broken, stdio: 'pipe' })).toThrow(
      /offboarding holds are unknown/,
    );
  });
});

describe('fetch-evidence.sh', () => {
  const FETCH = path.join(REPO_ROOT, 'scripts/ci/fetch-evidence.sh');

  it('copies every record kept on the branch into DEST/records, months and all', () => {
    const { env } = setUp();
    run(tempDir(), env, { 'a-applied.json': '{"result":"applied"}\n' });
    const dest = tempDir();
    const out = execFileSync('bash', [FETCH, dest, 'why'], { cwd: tempDir(), env, encoding: 'utf8' });
    expect(out).toContain('1 record(s) from jml-evidence');
    const month = new Date().toISOString().slice(0, 7).replace('-', '/');
    expect(readdirSync(path.join(dest, 'records', month))).toEqual(['a-applied.json']);
  });

  it('leaves DEST/records empty when the branch has no records/ yet (only the pack digests)', () => {
    const { env } = setUp();
    const cwd = tempDir();
    mkdirSync(path.join(cwd, 'pack-digest'));
    writeFileSync(path.join(cwd, 'pack-digest', '2026-12-01-42.json'), '{"digest":"sha256:ab"}\n');
    execFileSync('bash', [SCRIPT, 'pack-digest', 'evidence'], { cwd, env, encoding: 'utf8' });
    const dest = tempDir();
    const out = execFileSync('bash', [FETCH, dest, 'why'], { cwd: tempDir(), env, encoding: 'utf8' });
    expect(out).toContain('0 record(s) from jml-evidence');
    expect(readdirSync(path.join(dest, 'records'))).toEqual([]);
  });

  it('is quiet without the branch, and fails saying why the caller needs it when it cannot read it', () => {
    const { env } = setUp();
    const dest = tempDir();
    expect(execFileSync('bash', [FETCH, dest, 'why'], { cwd: dest, env, encoding: 'utf8' })).toContain(
      'No jml-evidence branch yet',
    );
    expect(readdirSync(path.join(dest, 'records'))).toEqual([]);
    const broken = { ...env, GITHUB_REPOSITORY: 'acme/gone' };
    expect(() =>
      execFileSync('bash', [FETCH, dest, 'ticket state is not recorded'], { env: broken, stdio: 'pipe' }),
    ).toThrow(/could not read the jml-evidence branch .*: ticket state is not recorded/);
  });
});
