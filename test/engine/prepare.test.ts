/**
 * The engine's prepare (src/engine/prepare.ts) returns what it found instead of printing it: a
 * refusal with its reason, and notices in the order they happened. The CLI renders both
 * (src/cli/run-support.ts) with the texts the commands always printed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { REAL_CLOCK } from '../../src/apply/leaver-schedule.js';
import type { EngineContext } from '../../src/engine/context.js';
import { type PrepareOutcome, prepare, withPrepared } from '../../src/engine/prepare.js';
import { cleanTempDirs, copyFixture, jml, writeRepoFile } from './helpers.js';

/** The day after everything in the org fixture fell due: EXC-0003 has lapsed by then. */
const AT = Date.parse('2027-02-02T14:00:00Z');
const ctx: EngineContext = { clock: REAL_CLOCK, env: {} };

/** An offboarding record's name (src/records/store.ts) for a file that is not a record. */
const BROKEN_HOLD = '2026-12-01T17-00-00-000Z-offboard-dee.dev-none-applied.json';

function editPolicy(dir: string, edit: (p: { providers: Record<string, unknown> }) => void): void {
  const file = path.join(dir, 'policy/jml.yaml');
  const policy = parse(readFileSync(file, 'utf8'));
  edit(policy);
  writeFileSync(file, stringify(policy));
}

const kinds = (o: PrepareOutcome) => o.notices.map((n) => n.kind);

afterAll(cleanTempDirs);

describe('prepare', () => {
  it('prepares the org fixture, and an error that only time caused is a notice, not a refusal', async () => {
    const o = await prepare(ctx, { root: copyFixture('org'), at: AT });
    expect(o.ok).toBe(true);
    expect(kinds(o)).toEqual(['time-dependent']);
    const [lapsed] = o.notices;
    expect(lapsed?.kind === 'time-dependent' && lapsed.diagnostics.map((d) => d.rule)).toEqual([
      'exception-expired',
    ]);
    if (o.ok) expect(o.prepared.providers.map((p) => p.name)).toEqual(['local', 'okta', 'manual']);
  });

  it('takes the instant from a function of the organisation time zone (a calendar --at)', async () => {
    const zones: (string | undefined)[] = [];
    const o = await prepare(ctx, {
      root: copyFixture('org'),
      at: (zone) => {
        zones.push(zone);
        return AT;
      },
    });
    expect(o.ok && o.prepared.at).toBe(AT);
    expect(zones).toEqual(['America/New_York', 'America/New_York']);
  });

  it('refuses a repository with errors and returns every diagnostic, with no notice', async () => {
    const dir = copyFixture('org');
    writeRepoFile(dir, 'people/hana.hr.yaml', 'id: hana.hr\nname: [\n');
    const o = await prepare(ctx, { root: dir, at: AT });
    expect(o.ok).toBe(false);
    if (o.ok) return;
    expect(o.refusal.kind).toBe('invalid');
    expect(
      o.refusal.kind === 'invalid' && o.refusal.diagnostics.some((d) => d.file === 'people/hana.hr.yaml'),
    ).toBe(true);
    expect(o.notices).toEqual([]);
  });

  it('refuses a --base that is not a checkout, saying which, after the notices so far', async () => {
    const o = await prepare(ctx, { root: copyFixture('org'), at: AT, connectionsFrom: '/nonexistent/base' });
    expect(o).toEqual({
      ok: false,
      refusal: {
        kind: 'base-unreadable',
        message: '/nonexistent/base: no such directory (expected a checkout).',
      },
      notices: [expect.objectContaining({ kind: 'time-dependent' })],
    });
  });

  it('refuses a --provider that the policy does not configure, naming the file', async () => {
    const o = await prepare(ctx, { root: copyFixture('org'), at: AT, only: 'entra' });
    expect(!o.ok && o.refusal).toEqual({
      kind: 'provider-not-configured',
      provider: 'entra',
      where: 'policy/jml.yaml',
    });
  });

  it('reads an unreadable offboarding record as a notice and a hold in force (fail closed)', async () => {
    const dir = copyFixture('org');
    writeRepoFile(dir, `.jml/records/${BROKEN_HOLD}`, 'not json');
    const o = await prepare(ctx, { root: dir, at: AT });
    expect(kinds(o)).toEqual(['time-dependent', 'unreadable-hold', 'hold-in-force']);
    expect(o.notices[1]).toMatchObject({ kind: 'unreadable-hold', file: `.jml/records/${BROKEN_HOLD}` });
    expect(o.notices[2]).toMatchObject({ kind: 'hold-in-force', hold: { person: 'dee.dev' } });
    expect(o.ok && o.prepared.holds.map((h) => h.person)).toEqual(['dee.dev']);
  });

  it("reads credentials from the context's environment, and a provider that cannot connect fails with the notices kept", async () => {
    const dir = copyFixture('org');
    editPolicy(dir, (p) => {
      p.providers.okta = {
        orgUrl: 'https://example.okta.com',
        auth: 'ssws',
        tokenEnv: 'JML_TEST_OKTA_TOKEN',
      };
    });
    const o = await prepare(ctx, { root: dir, at: AT, only: 'okta' });
    expect(o.ok).toBe(false);
    if (o.ok) return;
    expect(kinds(o)).toEqual(['time-dependent']);
    expect(o.refusal.kind === 'failed' && String(o.refusal.error)).toContain(
      'the environment variable JML_TEST_OKTA_TOKEN is not set',
    );
    const given = await prepare(
      { ...ctx, env: { JML_TEST_OKTA_TOKEN: 'token' } },
      { root: dir, at: AT, only: 'okta' },
    );
    expect(given.ok && given.prepared.providers.map((p) => p.name)).toEqual(['okta']);
  });
});

describe('withPrepared', () => {
  it('returns the use case result with the prepared repository and its notices', async () => {
    const o = await withPrepared(ctx, { root: copyFixture('org'), at: AT }, async (p) => ({
      people: p.index.people.size,
    }));
    expect(o.ok && o.people).toBe(7);
    expect(kinds(o)).toEqual(['time-dependent']);
  });

  it('turns a throw in the use case into a failed refusal that keeps the notices', async () => {
    const boom = new Error('the provider is down');
    const o = await withPrepared(ctx, { root: copyFixture('org'), at: AT }, async () => {
      throw boom;
    });
    expect(o).toEqual({ ok: false, refusal: { kind: 'failed', error: boom }, notices: [expect.anything()] });
  });
});

describe('the CLI renders the refusals and notices with their old texts', () => {
  it.each([
    [
      'a --provider that is not configured',
      ['plan', '--provider', 'entra'],
      'Note: exceptions/EXC-0003.yaml:9 exception-expired (fix by pull request; planning goes on).\n' +
        'jml: provider entra is not configured in policy/jml.yaml\n',
    ],
    [
      'a --base that is not a checkout',
      ['plan', '--base', '/nonexistent/base'],
      'Note: exceptions/EXC-0003.yaml:9 exception-expired (fix by pull request; planning goes on).\n' +
        '--base: /nonexistent/base: no such directory (expected a checkout).\nNothing was planned.\n',
    ],
  ])('%s: exit 1, and stderr says so after the notices', async (_, args, err) => {
    const r = await jml(copyFixture('org'), ...args, '--at', '2027-02-02T14:00:00Z');
    expect(r).toEqual({ code: 1, out: '', err });
  });

  it('an unreadable offboarding record: a note for the file and one for the hold it keeps', async () => {
    const dir = copyFixture('org');
    writeRepoFile(dir, `.jml/records/${BROKEN_HOLD}`, 'not json');
    const r = await jml(dir, 'drift', '--at', '2027-02-02T14:00:00Z');
    const [file, hold] = r.err.split('\n').slice(1, 3);
    expect(file).toMatch(
      new RegExp(
        `^Note: \\.jml/records/${BROKEN_HOLD.replaceAll('.', '\\.')} is not JSON .*; the person it names stays held \\(fail closed\\) until it is repaired or a later record of theirs decides\\.$`,
      ),
    );
    expect(hold).toBe(
      `Note: dee.dev was offboarded at 2026-12-01T17:00:00.000Z by unknown (${BROKEN_HOLD}); access stays cut until people/dee.dev.yaml records the termination or jml offboard --cancel lifts it.`,
    );
  });
});
