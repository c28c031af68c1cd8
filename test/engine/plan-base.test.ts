/**
 * `jml plan --base <dir>`: the credentialed plan of a pull request (pull-request-trusted.yml)
 * runs the base branch's engine on the head's data, and takes the provider connections and the
 * records (holds) from the base checkout's policy/jml.yaml, never from the head's. A head that
 * points a connection at its own server would otherwise receive the job's credentials. Each
 * test is named after the attack it stops.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { EntraConnection } from '../../src/model/schema.js';
import { EmbeddedDirectory } from '../../src/providers/embedded/embedded-directory.js';
import { connectors } from '../../src/providers/registry.js';
import { createOktaHarness, type OktaHarness } from '../fakes/okta/index.js';
import { cleanTempDirs, copyFixture, jml, planJson, tempDir } from './helpers.js';

const AT = '2026-12-02T12:00:00Z';

type PolicyYaml = {
  providers: Record<string, Record<string, unknown>>;
  records?: { dir: string };
};

function editPolicy(dir: string, edit: (p: PolicyYaml) => void): void {
  const file = path.join(dir, 'policy/jml.yaml');
  const policy = parse(readFileSync(file, 'utf8')) as PolicyYaml;
  edit(policy);
  writeFileSync(file, stringify(policy));
}

/** The pull request's head: the base's files, then the pull request's edit. */
function headOf(base: string, edit: (p: PolicyYaml) => void): string {
  const head = tempDir('jml-head-');
  cpSync(base, head, { recursive: true });
  editPolicy(head, edit);
  return head;
}

afterAll(cleanTempDirs);

describe('jml plan --base: the connections come from the base branch', () => {
  let ours: OktaHarness;
  let attacker: OktaHarness;
  const saved = { ...process.env };

  beforeAll(async () => {
    ours = await createOktaHarness();
    attacker = await createOktaHarness();
    Object.assign(process.env, ours.env);
  });
  afterAll(async () => {
    for (const key of Object.keys(ours.env)) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    await ours.close();
    await attacker.close();
  });

  /** The base branch: the scenario organisation with its Okta the real connector on our fake. */
  async function baseWithOkta(): Promise<string> {
    const base = copyFixture('org');
    editPolicy(base, (p) => {
      p.providers.okta = { ...ours.config };
    });
    const ents = parse(readFileSync(path.join(base, 'policy/entitlements.yaml'), 'utf8')) as {
      provider: string;
      kind: string;
      target: string;
    }[];
    const targets: Record<string, string[]> = {};
    for (const e of ents) if (e.provider === 'okta') targets[`${e.kind}:${e.target}`] = [];
    await ours.seed({ users: {}, targets });
    return base;
  }

  it("a pull request that points okta.orgUrl at its own server is planned against the base branch's Okta", async () => {
    const base = await baseWithOkta();
    const head = headOf(base, (p) => {
      p.providers.okta = { ...p.providers.okta, orgUrl: attacker.fake.url };
    });
    ours.server!.requests.length = 0;
    attacker.server!.requests.length = 0;

    const r = await jml(head, 'plan', '--base', base, '--at', AT, '--format', 'markdown');

    expect(r.code, r.err).toBe(0);
    expect(attacker.server!.requests, "the head's server is never contacted").toEqual([]);
    expect(ours.server!.requests.some((q) => q.path === '/oauth2/v1/token')).toBe(true);
    expect(ours.server!.requests.some((q) => q.path.startsWith('/api/v1/users') && q.authorized)).toBe(true);
    // The reviewer sees that the provider change was not planned, and why.
    expect(r.out).toMatch(
      /^> \*\*Note:\*\* planned with the base branch's connections; the pull request's provider change takes effect after merge \(providers\.okta differs\)\./m,
    );
    expect(r.err).toContain("planned with the base branch's connections");
    // The head's people are planned on our Okta.
    expect(r.out).toMatch(/^\+ okta +account +create mo\.mover@example\.com /m);
  });

  it("without --base the same head's plan goes to the pull request's server (what --base prevents)", async () => {
    const base = await baseWithOkta();
    const head = headOf(base, (p) => {
      p.providers.okta = { ...p.providers.okta, orgUrl: attacker.fake.url };
    });
    attacker.server!.requests.length = 0;

    await jml(head, 'plan', '--at', AT, '--format', 'markdown');

    expect(attacker.server!.requests.map((q) => q.path)).toContain('/oauth2/v1/token');
  });

  it('a pull request that leaves the connections alone is planned without a note', async () => {
    const base = await baseWithOkta();
    const head = headOf(base, () => {});
    const r = await jml(head, 'plan', '--base', base, '--at', AT, '--format', 'markdown');
    expect(r.code, r.err).toBe(0);
    expect(r.out).not.toContain('Note:');
    expect(r.err).not.toContain("base branch's connections");
  });
});

describe('jml plan --base: the other connection settings and the records', () => {
  afterEach(() => {
    delete (connectors as Record<string, unknown>).entra;
  });

  it("a pull request that points entra.authorityUrl at its own server is connected with the base branch's Entra settings", async () => {
    const base = copyFixture('org');
    editPolicy(base, (p) => {
      p.providers.entra = { tenantId: 'tenant-of-acme', clientId: 'client-of-acme' };
    });
    const head = headOf(base, (p) => {
      p.providers.entra = {
        ...p.providers.entra,
        authorityUrl: 'https://login.attacker.example',
        graphUrl: 'https://graph.attacker.example',
        oidcTokenEnv: 'SOMETHING_ELSE',
      };
    });
    // The connector records the connection it is given (the real one would sign in with it).
    const given: EntraConnection[] = [];
    connectors.entra = (config) => {
      given.push(config);
      return new EmbeddedDirectory({
        name: 'entra',
        file: path.join(tempDir('jml-entra-'), 'entra.json'),
        simulated: false,
        accounts: true,
      });
    };

    const r = await jml(head, 'plan', '--base', base, '--at', AT, '--provider', 'entra', '--format', 'text');

    expect(r.code, r.err).toBe(0);
    expect(given).toHaveLength(1);
    expect(given[0]).toMatchObject({
      tenantId: 'tenant-of-acme',
      authorityUrl: 'https://login.microsoftonline.com',
      graphUrl: 'https://graph.microsoft.com',
      oidcTokenEnv: 'ENTRA_FEDERATED_TOKEN',
    });
    expect(r.out).toMatch(/^Note: .*\(providers\.entra differs\)/);
  });

  it("a pull request that moves the embedded directory and the records dir is planned from the base branch's files, its holds standing", async () => {
    const base = copyFixture('org');
    // An emergency offboarding restored from the evidence branch into the base checkout.
    mkdirSync(path.join(base, '.jml/records/restored'), { recursive: true });
    writeFileSync(
      path.join(base, '.jml/records/restored/2026-12-01T15-00-00-000Z-offboard-dee.dev-aa-applied.json'),
      JSON.stringify({
        startedAt: '2026-12-01T15:00:00.000Z',
        changes: [],
        offboard: {
          person: 'dee.dev',
          at: '2026-12-01T15:00:00.000Z',
          reason: 'SEC-1',
          requestedBy: 'sam-sec',
          operator: 'sam.sec',
          intent: true,
        },
      }),
    );
    const head = headOf(base, (p) => {
      p.providers.local = { directory: 'pr/directory.json' };
      p.records = { dir: 'pr/records' };
    });
    // The head's own directory says everyone is already as planned: an empty plan, if it were read.
    mkdirSync(path.join(head, 'pr/records'), { recursive: true });
    writeFileSync(path.join(head, 'pr/directory.json'), '{"users":{},"targets":{}}\n');

    const fromBase = await planJson(base, '--at', AT);
    const r = await jml(head, 'plan', '--base', base, '--at', AT, '--format', 'json');

    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toEqual(fromBase);
    expect(fromBase.changes.some((c) => c.person === 'dee.dev' && c.action === 'disableUser')).toBe(true);
    expect(r.err).toContain('dee.dev was offboarded');
    expect(r.err).toContain('(providers.local differs)');
  });

  it('a --base that is not a policy checkout plans nothing', async () => {
    const head = copyFixture('org');
    const r = await jml(head, 'plan', '--base', tempDir('jml-empty-'), '--at', AT);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--base: .*policy\/jml\.yaml does not load/);
    expect(r.out).toBe('');
  });
});
