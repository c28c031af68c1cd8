/**
 * resolve at the edges the scenarios do not reach: exceptions around the start date and moves,
 * and the order of a plan, which must not depend on the machine's locale.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/plan/plan-types.js';
import {
  cleanTempDirs,
  copyFixture,
  editDirectory,
  FIXTURES,
  planJson,
  REPO_ROOT,
  readRepoFile,
  writeRepoFile,
} from './helpers.js';

const JOINER = path.join(FIXTURES, 'scenarios/joiner-starts-today');

function exceptionYaml(opts: { from: string; expires: string; retainOnMove: boolean }): string {
  return `id: EXC-0009
person: jo.joiner
entitlements:
  - prod-db-admin
justification: Ledger migration from day one (OPS-9).
approvers:
  - sam.sec
from: ${opts.from}
expires: ${opts.expires}
retainOnMove: ${opts.retainOnMove}
`;
}

/** Jo Joiner (starts 2027-02-01 as finance-analyst) with EXC-0009, optionally moving to sales. */
async function grantsProdDb(opts: {
  from: string;
  retainOnMove: boolean;
  moveOn?: string;
  /** The move's roles entry lists EXC-0009 in `retain` (the manager's re-approval). */
  retained?: boolean;
  at: string;
}): Promise<boolean> {
  const dir = copyFixture(JOINER);
  writeRepoFile(dir, 'exceptions/EXC-0009.yaml', exceptionYaml({ ...opts, expires: '2027-03-15' }));
  if (opts.moveOn)
    writeRepoFile(
      dir,
      'people/jo.joiner.yaml',
      `${readRepoFile(dir, 'people/jo.joiner.yaml')}  - role: sales\n    from: ${opts.moveOn}\n${
        opts.retained ? '    retain: [EXC-0009]\n' : ''
      }`,
    );
  const plan = await planJson(dir, '--at', opts.at);
  return plan.changes.some((c) => c.id === 'local/jo.joiner@example.com/grant/prod-db-admin');
}

afterAll(cleanTempDirs);

describe('exceptions and the role in force', () => {
  it.each(
    [
      {
        name: 'an exception approved before the start date applies from the start',
        opts: { from: '2027-01-25', retainOnMove: false, at: '2027-02-01T05:00:00Z' },
        grants: true,
      },
      {
        name: 'an exception starting on the start date applies from the start',
        opts: { from: '2027-02-01', retainOnMove: false, at: '2027-02-01T05:00:00Z' },
        grants: true,
      },
      {
        name: 'an exception approved before the start date ends with the first real move',
        opts: { from: '2027-01-25', retainOnMove: false, moveOn: '2027-02-10', at: '2027-02-10T05:00:00Z' },
        grants: false,
      },
      {
        name: 'an exception approved before the start date still applies the day before the move',
        opts: { from: '2027-01-25', retainOnMove: false, moveOn: '2027-02-10', at: '2027-02-10T04:59:59Z' },
        grants: true,
      },
      {
        name: 'an exception with retainOnMove survives a move that retains it',
        opts: {
          from: '2027-01-25',
          retainOnMove: true,
          moveOn: '2027-02-10',
          retained: true,
          at: '2027-02-10T05:00:00Z',
        },
        grants: true,
      },
      {
        name: 'an exception with retainOnMove ends with a move that does not retain it (no re-approval)',
        opts: { from: '2027-01-25', retainOnMove: true, moveOn: '2027-02-10', at: '2027-02-10T05:00:00Z' },
        grants: false,
      },

      {
        name: 'an exception that starts after a move lives under the new role',
        opts: { from: '2027-02-12', retainOnMove: false, moveOn: '2027-02-10', at: '2027-02-12T05:00:00Z' },
        grants: true,
      },
    ].map((c) => [c.name, c] as const),
  )('%s', async (_, { opts, grants }) => {
    expect(await grantsProdDb(opts)).toBe(grants);
  });
});

describe('plan order', () => {
  it('does not depend on the locale: code-point order, people first, accounts nobody owns last', async () => {
    const dir = copyFixture(path.join(FIXTURES, 'scenarios/joiner-starts-today'));
    editDirectory(dir, 'okta', (d) => {
      d.targets['group:Everyone']!.push('zed@example.com', 'åsa@example.com', 'adam@example.com');
    });
    const run = (lang: string) =>
      execFileSync(
        process.execPath,
        [
          path.join(REPO_ROOT, 'bin/jml.js'),
          '-C',
          dir,
          'plan',
          '--at',
          '2027-02-01T05:00:00Z',
          '--format',
          'json',
        ],
        { cwd: REPO_ROOT, env: { ...process.env, LANG: lang, LC_ALL: lang }, encoding: 'utf8' },
      );
    const english = run('en_US.UTF-8');
    expect(run('sv_SE.UTF-8')).toBe(english);
    const plan = JSON.parse(english) as Plan;
    expect([...new Set(plan.changes.map((c) => c.person ?? c.login))]).toEqual([
      'jo.joiner',
      'adam@example.com',
      'zed@example.com',
      'åsa@example.com',
    ]);
  });
});
