/**
 * jml drift: after the org fixture is applied, hand edits in a provider show up as findings,
 * each explained with its cause; exit 0 none, 2 drift. And jml dump writes parseable YAML.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { DirectoryFile } from '../../src/providers/embedded/embedded-directory.js';
import {
  cleanTempDirs,
  copyFixture,
  editDirectory,
  type FixtureProvider,
  jml,
  planJson,
  tempDir,
} from './helpers.js';

const AT = '2027-02-02T14:00:00Z';
let converged: string;

/** A copy of the org fixture with everything applied at AT: no drift. */
async function convergedCopy(): Promise<string> {
  const dir = copyFixture('org');
  const r = await jml(dir, 'apply', '--confirm', '--at', AT);
  expect(r.code, r.out).toBe(0);
  return dir;
}

beforeAll(async () => {
  converged = await convergedCopy();
});
afterAll(cleanTempDirs);

interface DriftCase {
  name: string;
  provider: FixtureProvider;
  edit: (d: DirectoryFile) => void;
  line: string;
  /** A leaver past the SLA deadline with access left: this finding comes first. */
  breach?: string;
}

const cases: DriftCase[] = [
  {
    name: 'an extra grant added by hand in the provider',
    provider: 'okta',
    edit: (d) => {
      d.targets['group:Finance Reports']!.push('dee.dev@example.com');
    },
    line: '[extra-grant] dee.dev holds access git does not grant (finance-reports) on okta: role engineer (people/dee.dev.yaml:10) does not grant it and no exception in force does',
  },
  {
    name: 'a grant removed by hand in the provider',
    provider: 'okta',
    edit: (d) => {
      d.targets['group:Engineering'] = d.targets['group:Engineering']!.filter(
        (m) => m !== 'dee.dev@example.com',
      );
    },
    line: '[missing-grant] dee.dev lacks access git grants (github-engineering) on okta: role engineer at people/dee.dev.yaml:10, listed at roles/engineer.yaml:7',
  },
  {
    name: 'a leaver’s account enabled again',
    provider: 'local',
    edit: (d) => {
      d.users['lee.leaver@example.com']!.enabled = true;
    },
    line: '[leaver-enabled] lee.leaver has left but the account is still enabled on local: leaver: employment ended 2027-02-01T22:00:00.000Z at people/lee.leaver.yaml:9',
    breach:
      '[leaver-sla-breach] lee.leaver has left, the SLA deadline has passed, and access remains on local: left at 2027-02-01T17:00:00-05:00, deadline 2027-02-01T23:00:00.000Z (60 min), 1 change(s) outstanding (disableUser). Run jml apply --confirm now, or jml offboard if it keeps failing.',
  },
  {
    name: 'a leaver signed in again before the disable',
    provider: 'okta',
    edit: (d) => {
      d.users['lee.leaver@example.com']!.sessions.push({ id: 's9', startedAt: '2027-02-02T13:00:00.000Z' });
    },
    line: '[sessions-alive] lee.leaver has left but still has live sessions on okta: leaver: end sessions and tokens at 2027-02-01T22:00:00.000Z (people/lee.leaver.yaml:9)',
    breach:
      '[leaver-sla-breach] lee.leaver has left, the SLA deadline has passed, and access remains on okta: left at 2027-02-01T17:00:00-05:00, deadline 2027-02-01T23:00:00.000Z (60 min), 1 change(s) outstanding (revokeSessions). Run jml apply --confirm now, or jml offboard if it keeps failing.',
  },
  {
    name: 'an unknown account in an authoritative group',
    provider: 'okta',
    edit: (d) => {
      d.targets['group:Engineering']!.push('intruder@example.com');
    },
    line: '[unknown-member] intruder@example.com is not in people/ but is a member of a managed target (github-engineering) on okta: intruder@example.com is not a person in people/ and github-engineering is authoritative (policy/entitlements.yaml)',
  },
  {
    name: 'an unknown account in an additive app, which apply never removes',
    provider: 'okta',
    edit: (d) => {
      d.targets['app:Slack']!.push('guest@partner.example');
    },
    line: '[unknown-member] guest@partner.example is not in people/ but is a member of a managed target (app "Slack") on okta: not in people/; slack-members is additive, so the member is left alone',
  },
  {
    name: 'an unknown holder of a manual app in the ticket ledger',
    provider: 'manual',
    edit: (d) => {
      d.targets['manual:Legacy CRM user account'] = ['old.vendor@partner.example'];
    },
    line: '[unknown-member] old.vendor@partner.example is not in people/ but is a member of a managed target (legacy-crm-user) on manual: old.vendor@partner.example is not a person in people/ and legacy-crm-user is authoritative (policy/entitlements.yaml)',
  },
];

describe('jml drift', () => {
  it('exits 0 and says so when the providers match the repository', async () => {
    const r = await jml(converged, 'drift', '--at', AT);
    expect(r.code).toBe(0);
    expect(r.out).toBe('No drift at 2027-02-02T14:00:00.000Z: every provider matches the repository.\n');
  });

  it.each(cases.map((c) => [c.name, c] as const))(
    'exits 2 and explains %s',
    async (_, { provider, edit, line, breach }) => {
      const dir = await convergedCopy();
      editDirectory(dir, provider, edit);
      const r = await jml(dir, 'drift', '--at', AT);
      expect(r.code, r.out + r.err).toBe(2);
      expect(r.out.split('\n')).toEqual([
        `${breach ? 2 : 1} difference(s) between the providers and the repository at 2027-02-02T14:00:00.000Z:`,
        ...(breach ? [`  ${breach}`] : []),
        `  ${line}`,
        'Run jml plan to see the changes that would fix this, and jml apply --confirm to make them.',
        '',
      ]);
    },
  );

  it('lists every difference at once, in JSON too', async () => {
    const dir = await convergedCopy();
    editDirectory(dir, 'okta', (d) => {
      for (const c of cases.filter((x) => x.provider === 'okta')) c.edit(d);
    });
    editDirectory(dir, 'local', cases[2]!.edit);
    const r = await jml(dir, 'drift', '--at', AT, '--format', 'json');
    expect(r.code).toBe(2);
    const { findings } = JSON.parse(r.out) as { findings: { kind: string; login: string }[] };
    expect(findings.map((f) => `${f.kind} ${f.login}`).sort()).toEqual([
      'extra-grant dee.dev@example.com',
      'leaver-enabled lee.leaver@example.com',
      'leaver-sla-breach lee.leaver@example.com',
      'missing-grant dee.dev@example.com',
      'sessions-alive lee.leaver@example.com',
      'unknown-member guest@partner.example',
      'unknown-member intruder@example.com',
    ]);
  });

  it('an additive member stays drift after apply, although the plan is empty', async () => {
    const dir = await convergedCopy();
    editDirectory(dir, 'okta', cases[5]!.edit);
    expect((await jml(dir, 'apply', '--confirm', '--at', AT)).code).toBe(0);
    expect((await planJson(dir, '--at', AT)).changes).toEqual([]);
    expect((await jml(dir, 'drift', '--at', AT)).code).toBe(2);
  });

  it('exits 1 when a provider directory cannot be read', async () => {
    const dir = await convergedCopy();
    editDirectory(dir, 'okta', (d) => {
      d.provider = 'entra';
    });
    const r = await jml(dir, 'drift', '--at', AT);
    expect(r.code).toBe(1);
    expect(r.err).toContain('is not an embedded directory for okta');
  });
});

describe('jml dump', () => {
  it.each(['local', 'okta'] as const)(
    'writes %s as people, roles and entitlements that parse as YAML',
    async (provider) => {
      const out = path.join(tempDir(), 'dump');
      const r = await jml(converged, 'dump', '--provider', provider, '--out', out);
      expect(r.code, r.err).toBe(0);
      const written = r.out.match(/Wrote (\d+) files/);
      expect(Number(written?.[1])).toBeGreaterThan(3);
      const entitlements = parse(
        readFileSync(path.join(out, `policy/entitlements.${provider}.yaml`), 'utf8'),
      ) as {
        id: string;
        target: string;
      }[];
      expect(entitlements.length).toBeGreaterThan(0);
      const people = ['hana.hr', 'dee.dev', 'jo.joiner'].map(
        (id) =>
          parse(readFileSync(path.join(out, `people/${id}.yaml`), 'utf8')) as {
            email: string;
            roles: { role: string }[];
          },
      );
      expect(people.map((p) => p.email)).toEqual([
        'hana.hr@example.com',
        'dee.dev@example.com',
        'jo.joiner@example.com',
      ]);
      for (const p of people) {
        const role = parse(readFileSync(path.join(out, `roles/${p.roles[0]!.role}.yaml`), 'utf8')) as {
          entitlements: string[];
        };
        expect(Array.isArray(role.entitlements)).toBe(true);
      }
    },
  );
});
