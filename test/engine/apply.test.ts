/**
 * apply against the embedded directories of test/fixtures/engine/org: convergence, the apply
 * record, stale plans, the order of actions, failure isolation and the refusals of the CLI.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyOrder, runApply } from '../../src/apply/apply.js';
import { REAL_CLOCK } from '../../src/apply/leaver-schedule.js';
import { type Prepared, planFrom, prepare } from '../../src/engine/prepare.js';
import { ACTIONS, type Change, type Plan } from '../../src/plan/plan-types.js';
import { EmbeddedDirectory } from '../../src/providers/embedded/embedded-directory.js';
import { scopeFor } from '../../src/providers/registry.js';
import type { ChangeOutcome, Provider } from '../../src/providers/types.js';
import type { ApplyRecord } from '../../src/records/schema.js';
import {
  cleanTempDirs,
  copyFixture,
  directoryPath,
  editDirectory,
  jml,
  planJson,
  readDirectory,
  readRecords,
  snapshotDirectories,
} from './helpers.js';

/** The day after everything in the org fixture fell due. */
const AT = '2027-02-02T14:00:00Z';

function records(dir: string): ApplyRecord[] {
  return readRecords(dir).map((r) => r.record as unknown as ApplyRecord);
}

afterAll(cleanTempDirs);

describe('jml apply', () => {
  it('converges: afterwards the plan is empty, drift exits 0 and a second apply has nothing to do', async () => {
    const dir = copyFixture('org');
    const before = await planJson(dir, '--at', AT);
    expect(before.changes.length).toBe(21);

    const r = await jml(dir, 'apply', '--confirm', '--at', AT);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain('Done: 21 applied, 0 already done, 0 failed, 0 skipped.');

    expect((await planJson(dir, '--at', AT)).changes).toEqual([]);
    const drift = await jml(dir, 'drift', '--at', AT);
    expect(drift.code, drift.out).toBe(0);
    expect(drift.out).toContain('No drift');

    const files = snapshotDirectories(dir);
    const again = await jml(dir, 'apply', '--confirm', '--at', AT);
    expect(again.code).toBe(0);
    expect(again.out).toContain('Nothing to apply');
    expect(snapshotDirectories(dir)).toEqual(files);
    expect(records(dir).map((x) => x.result)).toEqual(['applied', 'no-changes']);
  });

  it('leaves the leaver disabled, signed out and without grants, and never deletes the account by default', async () => {
    const dir = copyFixture('org');
    expect((await jml(dir, 'apply', '--confirm', '--at', AT)).code).toBe(0);
    for (const p of ['local', 'okta'] as const) {
      const d = readDirectory(dir, p);
      const lee = d.users['lee.leaver@example.com'];
      expect(lee?.enabled, p).toBe(false);
      expect(lee?.sessions, p).toEqual([]);
      expect(lee?.disabledAt, p).toBeTruthy();
      for (const members of Object.values(d.targets)) expect(members).not.toContain('lee.leaver@example.com');
    }
    // A year later, with the default retention policy, nothing is deleted.
    const later = await planJson(dir, '--at', '2028-02-02T14:00:00Z');
    expect(later.changes.filter((c) => c.action === 'deleteUser')).toEqual([]);
  });

  it('applying each change of a plan a second time reports unchanged and writes nothing (idempotent)', async () => {
    const dir = copyFixture('org');
    const plan = await planJson(dir, '--at', AT);
    const providers = new Map(
      (['local', 'okta', 'manual'] as const).map((name) => [
        name,
        new EmbeddedDirectory({
          name,
          file: directoryPath(dir, name),
          simulated: name !== 'local',
          accounts: name !== 'manual',
        }),
      ]),
    );
    for (const c of plan.changes)
      expect((await providers.get(c.provider as 'local')!.apply(c)).status).toBe('applied');
    const files = snapshotDirectories(dir);
    for (const c of plan.changes)
      expect((await providers.get(c.provider as 'local')!.apply(c)).status, c.id).toBe('unchanged');
    expect(snapshotDirectories(dir)).toEqual(files);
  });

  it('writes a record with every change, its start, end and status', async () => {
    const dir = copyFixture('org');
    expect((await jml(dir, 'apply', '--confirm', '--at', AT)).code).toBe(0);
    const [rec] = records(dir);
    expect(rec).toMatchObject({
      schema: 'jml-apply-record/v1',
      result: 'applied',
      at: '2027-02-02T14:00:00.000Z',
      counts: { applied: 21, unchanged: 0, failed: 0, skipped: 0 },
      guards: [],
    });
    expect(rec!.planFingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(rec!.trigger.command).toBe('jml apply --confirm --at');
    expect(rec!.changes).toHaveLength(21);
    // Changes are timed on the run's clock: a replay's (--at away from now) is the simulated one.
    const span = rec!.simulated ?? rec!;
    for (const c of rec!.changes) {
      expect(c.status).toBe('applied');
      expect(Date.parse(c.startedAt)).toBeLessThanOrEqual(Date.parse(c.finishedAt));
      expect(Date.parse(span.startedAt)).toBeLessThanOrEqual(Date.parse(c.startedAt));
      expect(Date.parse(c.finishedAt)).toBeLessThanOrEqual(Date.parse(span.finishedAt));
    }
    expect(rec!.changes.find((c) => c.action === 'openTicket' && c.provider === 'manual')?.detail).toMatch(
      /^ticket MANUAL-\d{5}$/,
    );
  });

  it('runs disables and session revocations first, then revokes, then creates, grants and tickets', async () => {
    const dir = copyFixture('org');
    expect((await jml(dir, 'apply', '--confirm', '--at', AT)).code).toBe(0);
    // A ticket to remove access is a removal and goes out with the revokes.
    const actions = records(dir)[0]!.changes.map((c) =>
      c.action === 'openTicket' && c.operation === 'revoke' ? 'revoke' : c.action,
    );
    // Phases never interleave, and they come in the documented order.
    const phases = actions.filter((a, i) => a !== actions[i - 1]);
    expect(phases).toEqual(['disableUser', 'revokeSessions', 'revoke', 'createUser', 'grant', 'openTicket']);
    expect(ACTIONS.indexOf('disableUser')).toBe(0);
    // Within the revoke phase, the leaver's revokes come before anyone else's.
    const revokes = records(dir)[0]!.changes.filter((c) => c.action === 'revoke');
    const firstOther = revokes.findIndex((c) => c.event.kind !== 'leaver');
    expect(firstOther).toBe(3);
    expect(revokes.slice(0, firstOther).every((c) => c.person === 'lee.leaver')).toBe(true);
    expect(revokes.slice(firstOther).some((c) => c.person === 'lee.leaver')).toBe(false);
  });

  it('refuses a stale plan: nothing is written and the record says stale', async () => {
    const dir = copyFixture('org');
    const planFile = path.join(dir, 'plan.json');
    expect((await jml(dir, 'plan', '--at', AT, '--out', planFile)).code).toBe(0);
    // Someone changes Okta by hand after the plan was reviewed.
    editDirectory(dir, 'okta', (d) => {
      d.targets['group:Engineering']!.push('late.addition@example.com');
    });
    const files = snapshotDirectories(dir);
    const r = await jml(dir, 'apply', '--plan', planFile, '--confirm');
    expect(r.code).toBe(1);
    expect(r.out).toContain('The providers changed since this plan was made');
    expect(snapshotDirectories(dir)).toEqual(files);
    const [rec] = records(dir);
    expect(rec).toMatchObject({ result: 'stale', changes: [], counts: { applied: 0, failed: 0 } });
    const plan = JSON.parse(readFileSync(planFile, 'utf8')) as Plan;
    expect(rec!.planFingerprint).toBe(plan.fingerprint);
  });

  it('applies exactly the reviewed plan with --plan when nothing changed since', async () => {
    const dir = copyFixture('org');
    const planFile = path.join(dir, 'plan.json');
    expect((await jml(dir, 'plan', '--at', AT, '--out', planFile)).code).toBe(0);
    const r = await jml(dir, 'apply', '--plan', planFile, '--confirm');
    expect(r.code, r.out).toBe(0);
    const plan = JSON.parse(readFileSync(planFile, 'utf8')) as Plan;
    expect(
      records(dir)[0]!
        .changes.map((c) => c.id)
        .sort(),
    ).toEqual(plan.changes.map((c) => c.id).sort());
    expect((await planJson(dir, '--at', AT)).changes).toEqual([]);
  });

  it('exits 1 when a change fails, applies the others and records the failure', async () => {
    const dir = copyFixture('org');
    const planFile = path.join(dir, 'plan.json');
    expect((await jml(dir, 'plan', '--at', AT, '--out', planFile)).code).toBe(0);
    // A reviewed plan that asks for something the provider cannot do: an account that is not there.
    const plan = JSON.parse(readFileSync(planFile, 'utf8')) as Plan;
    plan.changes.unshift({
      id: 'local/ghost@example.com/disableUser',
      action: 'disableUser',
      provider: 'local',
      login: 'ghost@example.com',
      person: null,
      event: { kind: 'unknown-account' },
      because: ['test: an account that does not exist'],
    });
    writeFileSync(planFile, JSON.stringify(plan));
    const r = await jml(dir, 'apply', '--plan', planFile, '--confirm');
    expect(r.code).toBe(1);
    expect(r.out).toContain('no account ghost@example.com on local');
    const [rec] = records(dir);
    expect(rec!.result).toBe('partial');
    expect(rec!.counts).toEqual({ applied: 21, unchanged: 0, failed: 1, skipped: 0 });
    expect(rec!.changes.find((c) => c.status === 'failed')).toMatchObject({
      id: 'local/ghost@example.com/disableUser',
      error: 'no account ghost@example.com on local',
    });
    expect((await planJson(dir, '--at', AT)).changes).toEqual([]);
  });

  it('without --confirm exits 1 and writes nothing', async () => {
    const dir = copyFixture('org');
    const files = snapshotDirectories(dir);
    const r = await jml(dir, 'apply', '--at', AT);
    expect(r.code).toBe(1);
    expect(r.err).toContain('add --confirm');
    expect(snapshotDirectories(dir)).toEqual(files);
    expect(records(dir)).toEqual([]);
  });

  it('refuses --at together with --plan before anything runs', async () => {
    const dir = copyFixture('org');
    const planFile = path.join(dir, 'plan.json');
    expect((await jml(dir, 'plan', '--at', AT, '--out', planFile)).code).toBe(0);
    const files = snapshotDirectories(dir);
    const r = await jml(dir, 'apply', '--plan', planFile, '--at', AT, '--confirm');
    expect(r.code).toBe(1);
    expect(r.err).toContain('--at and --plan contradict each other');
    expect(snapshotDirectories(dir)).toEqual(files);
    expect(records(dir)).toEqual([]);
  });
});

describe('applyOrder', () => {
  const change = (id: string, action: Change['action'], event: Change['event']): Change => ({
    id,
    action,
    provider: 'okta',
    login: `${id}@example.com`,
    person: id,
    event,
    because: [],
  });
  it('runs each phase in turn, high-risk leavers first, then leavers, then the rest in plan order', () => {
    const leaver = { kind: 'leaver', date: '2027-02-01T17:00:00-05:00' } as const;
    const risky = { ...leaver, highRisk: true } as const;
    const plan = [
      change('a', 'grant', { kind: 'joiner', date: '2027-02-01' }),
      change('b', 'revoke', { kind: 'mover', date: '2027-02-01' }),
      change('c', 'revoke', leaver),
      change('d', 'disableUser', leaver),
      change('e', 'revoke', risky),
      change('f', 'createUser', { kind: 'joiner', date: '2027-02-01' }),
      change('g', 'disableUser', risky),
      change('h', 'revokeSessions', leaver),
    ];
    expect(applyOrder(plan).map((c) => `${c.action} ${c.id}`)).toEqual([
      'disableUser g',
      'disableUser d',
      'revokeSessions h',
      'revoke e',
      'revoke c',
      'revoke b',
      'createUser f',
      'grant a',
    ]);
  });
});

/** Wraps a real provider and fails the changes `failing` picks: by outcome or by throwing. */
class FaultyProvider implements Provider {
  readonly name;
  readonly simulated;
  readonly calls: string[] = [];
  constructor(
    private readonly inner: Provider,
    private readonly failing: (c: Change) => 'throw' | 'fail' | undefined,
  ) {
    this.name = inner.name;
    this.simulated = inner.simulated;
  }
  read(scope: Parameters<Provider['read']>[0]) {
    return this.inner.read(scope);
  }
  lock() {
    return this.inner.lock!();
  }
  /** Set to make applyMany throw at once (a connector bug), instead of failing its changes. */
  throwFromApplyMany = false;
  get applyMany(): Provider['applyMany'] {
    if (!this.throwFromApplyMany) return undefined;
    return () => {
      throw new Error(`${this.name}: connector bug`);
    };
  }
  async apply(c: Change): Promise<ChangeOutcome> {
    this.calls.push(c.id);
    const how = this.failing(c);
    if (how === 'throw') throw new Error(`injected failure for ${c.id}`);
    if (how === 'fail') return { status: 'failed', error: `injected failure for ${c.id}` };
    return this.inner.apply(c);
  }
}

async function prepared(dir: string): Promise<Prepared> {
  const p = await prepare({ clock: REAL_CLOCK, env: process.env }, { root: dir, at: Date.parse(AT) });
  if (!p.ok) throw new Error('fixture does not validate');
  return p.prepared;
}

async function applyWith(
  dir: string,
  failing: (c: Change) => 'throw' | 'fail' | undefined,
  throwingProvider?: string,
): Promise<{ record: ApplyRecord; providers: FaultyProvider[] }> {
  const p = await prepared(dir);
  const providers = p.providers.map((x) => new FaultyProvider(x, failing));
  for (const x of providers) x.throwFromApplyMany = x.name === throwingProvider;
  const outcome = await runApply({
    providers,
    policy: p.index.policy,
    flags: { allowMassRemoval: false, allowMassDisable: false, allowDelete: false },
    readActual: () => Promise.all(providers.map((x) => x.read(scopeFor(p.index, x.name)))),
    plan: (actual) => planFrom(p, actual),
    recordDir: path.join(dir, '.jml/records'),
    trigger: { actor: 'test', command: 'test', ci: false },
  });
  // The record on disk is the one returned.
  expect(JSON.parse(readFileSync(outcome.recordFile, 'utf8'))).toEqual(outcome.record);
  return { record: outcome.record, providers };
}

describe('runApply with a provider that fails', () => {
  it('keeps going past a failed account creation and skips only the grants that need that account', async () => {
    const dir = copyFixture('org');
    const { record } = await applyWith(dir, (c) =>
      c.provider === 'okta' && c.action === 'createUser' && c.person === 'jo.joiner' ? 'throw' : undefined,
    );
    expect(record.result).toBe('partial');
    const byId = new Map(record.changes.map((c) => [c.id, c]));
    expect(byId.get('okta/jo.joiner@example.com/createUser')).toMatchObject({
      status: 'failed',
      error: 'injected failure for okta/jo.joiner@example.com/createUser',
    });
    for (const ent of ['finance-reports', 'okta-everyone', 'slack-members'])
      expect(byId.get(`okta/jo.joiner@example.com/grant/${ent}`)).toMatchObject({
        status: 'skipped',
        detail: 'the account could not be created or enabled',
      });
    // Independent changes: Jo's local account and grant, the manual ticket, everyone else.
    expect(byId.get('local/jo.joiner@example.com/createUser')?.status).toBe('applied');
    expect(byId.get('local/jo.joiner@example.com/grant/vpn-users')?.status).toBe('applied');
    expect(byId.get('manual/jo.joiner@example.com/openTicket/netsuite-user')?.status).toBe('applied');
    expect(byId.get('okta/mo.mover@example.com/grant/finance-reports')?.status).toBe('applied');
    expect(record.counts).toEqual({ applied: 17, unchanged: 0, failed: 1, skipped: 3 });
    const okta = readDirectory(dir, 'okta');
    expect(okta.users['jo.joiner@example.com']).toBeUndefined();
    expect(okta.targets['group:Finance Reports']).toEqual(['mo.mover@example.com']);
  });

  it('a failed disable does not stop the leaver’s revokes or anyone else’s changes', async () => {
    const dir = copyFixture('org');
    const { record } = await applyWith(dir, (c) =>
      c.action === 'disableUser' && c.provider === 'okta' ? 'fail' : undefined,
    );
    expect(record.result).toBe('partial');
    expect(record.counts).toEqual({ applied: 20, unchanged: 0, failed: 1, skipped: 0 });
    const okta = readDirectory(dir, 'okta');
    expect(okta.users['lee.leaver@example.com']?.enabled).toBe(true);
    expect(okta.users['lee.leaver@example.com']?.sessions).toEqual([]);
    expect(okta.targets['group:Everyone']).not.toContain('lee.leaver@example.com');
    // The next plan retries exactly what failed.
    expect((await planJson(dir, '--at', AT)).changes.map((c) => c.id)).toEqual([
      'okta/lee.leaver@example.com/disableUser',
    ]);
  });

  it('a provider whose applyMany throws fails its own changes on the record; the others finish', async () => {
    const dir = copyFixture('org');
    const { record } = await applyWith(dir, () => undefined, 'okta');
    expect(record.result).toBe('partial');
    const okta = record.changes.filter((c) => c.provider === 'okta');
    expect(okta.length).toBeGreaterThan(0);
    for (const c of okta) expect(['failed', 'skipped']).toContain(c.status);
    expect(okta.find((c) => c.status === 'failed')?.error).toBe('okta: connector bug');
    const others = record.changes.filter((c) => c.provider !== 'okta');
    expect(others.length).toBeGreaterThan(0);
    for (const c of others) expect(c.status).toBe('applied');
  });

  it('writes the record with result error when reading the providers fails', async () => {
    const dir = copyFixture('org');
    writeFileSync(directoryPath(dir, 'okta'), '{"schema": "jml-embedded-directory/v1", "provid');
    const r = await jml(dir, 'apply', '--confirm', '--at', AT);
    expect(r.code).toBe(1);
    const [rec] = records(dir);
    expect(rec).toMatchObject({ result: 'error', changes: [] });
    expect(rec!.error).toMatch(/JSON/);
  });
});
