/**
 * The embedded directory's leaver checklist: each leaver change records the one step it really
 * takes (sign-in off, sessions ended, access removed, account deleted, ticket opened), nothing it
 * does not hold (no mailbox, files or devices), and other changes record none.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Change } from '../../src/plan/plan-types.js';
import { EmbeddedDirectory } from '../../src/providers/embedded/embedded-directory.js';
import type { ChangeOutcome } from '../../src/providers/types.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function directory(name: 'local' | 'manual'): EmbeddedDirectory {
  const dir = mkdtempSync(path.join(tmpdir(), 'jml-embedded-'));
  dirs.push(dir);
  return new EmbeddedDirectory({
    name,
    file: path.join(dir, `${name}.json`),
    simulated: name === 'manual',
    accounts: name !== 'manual',
  });
}

const LEAVING = { kind: 'leaver' as const, date: '2027-02-01T17:00:00-05:00' };

function change(action: Change['action'], extra: Partial<Change> = {}): Change {
  return {
    id: `local/lee@example.com/${action}`,
    action,
    provider: 'local',
    login: 'lee@example.com',
    person: 'lee',
    event: LEAVING,
    because: [],
    ...extra,
  };
}

const stepsOf = (o: ChangeOutcome) => (o.steps ?? []).map((s) => `${s.step} ${s.status}`);

describe('the embedded directory: a leaver checklist of what it really does', () => {
  it('records sign-in, sessions, access and deletion, unchanged the second time', async () => {
    const local = directory('local');
    const group = { kind: 'group' as const, target: 'eng' };
    await local.apply(change('createUser', { event: { kind: 'joiner' } }));
    await local.apply(change('grant', { event: { kind: 'joiner' }, target: group }));
    expect(local.signIn('lee@example.com')).toBe(true);

    const run = [
      change('disableUser', { manager: 'boss@example.com' }),
      change('revokeSessions'),
      change('revoke', { target: group }),
    ];
    const first = [];
    for (const c of run) first.push(stepsOf(await local.apply(c)));
    expect(first).toEqual([
      ['disable-sign-in applied'],
      ['revoke-sessions applied'],
      ['remove-access applied'],
    ]);
    const again = [];
    for (const c of run) again.push(stepsOf(await local.apply(c)));
    expect(again).toEqual([
      ['disable-sign-in unchanged'],
      ['revoke-sessions unchanged'],
      ['remove-access unchanged'],
    ]);
    const deleted = await local.apply(change('deleteUser'));
    expect(deleted.steps).toEqual([{ step: 'delete-account', status: 'applied', at: expect.any(String) }]);
    expect(new Date(deleted.steps![0]!.at).toISOString()).toBe(deleted.steps![0]!.at);
  });

  it('records a failed step when the change fails', async () => {
    const out = await directory('local').apply(change('disableUser'));
    expect(out.status).toBe('failed');
    expect(out.steps).toEqual([
      {
        step: 'disable-sign-in',
        status: 'failed',
        at: expect.any(String),
        detail: 'no account lee@example.com on local',
      },
    ]);
  });

  it("records the manual ledger's ticket as a manual step a person must finish", async () => {
    const manual = directory('manual');
    const netsuite = { kind: 'manual' as const, target: 'NetSuite' };
    await manual.apply(
      change('openTicket', {
        provider: 'manual',
        operation: 'grant',
        target: netsuite,
        event: { kind: 'joiner' },
      }),
    );
    const ticket = change('openTicket', { provider: 'manual', operation: 'revoke', target: netsuite });
    const out = await manual.apply(ticket);
    expect(out.steps).toEqual([
      { step: 'manual-ticket', status: 'manual', at: expect.any(String), detail: 'ticket MANUAL-00002' },
    ]);
    expect(stepsOf(await manual.apply(ticket))).toEqual(['manual-ticket unchanged']);
  });

  it("adds no steps to changes that are not a leaver's", async () => {
    const local = directory('local');
    const joiner = { event: { kind: 'joiner' as const } };
    for (const c of [
      change('createUser', joiner),
      change('grant', { ...joiner, target: { kind: 'group', target: 'eng' } }),
      change('revoke', { event: { kind: 'mover' }, target: { kind: 'group', target: 'eng' } }),
      change('disableUser', { event: { kind: 'update' } }),
      change('revokeSessions', { event: { kind: 'update' } }),
    ]) {
      expect((await local.apply(c)).steps, c.action).toBeUndefined();
    }
  });
});

describe('the embedded directory: last sign-in', () => {
  const scope = { logins: new Set(['lee@example.com', 'old@example.com']), targets: [] };

  it('is null for an account it created, the sign-in instant after signIn, and kept in the file', async () => {
    let now = new Date('2027-01-10T09:00:00.000Z');
    const first = directory('local');
    const local = new EmbeddedDirectory({
      name: 'local',
      file: first.file,
      simulated: false,
      accounts: true,
      now: () => now,
    });
    await local.apply({ ...change('createUser'), event: { kind: 'joiner' } });
    expect((await local.read(scope)).users[0]?.lastSignIn).toBeNull();
    expect(local.signIn('lee@example.com')).toBe(true);
    now = new Date('2027-01-11T09:00:00.000Z');
    const state = await new EmbeddedDirectory({
      name: 'local',
      file: first.file,
      simulated: false,
      accounts: true,
    }).read(scope);
    expect(state.users[0]?.lastSignIn).toBe('2027-01-10T09:00:00.000Z');
  });

  it('says nothing for an account in a file written before it was recorded', async () => {
    const local = directory('local');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      local.file,
      JSON.stringify({
        schema: 'jml-embedded-directory/v1',
        provider: 'local',
        users: {
          'old@example.com': {
            displayName: 'Old',
            enabled: true,
            sessions: [],
            createdAt: '2025-01-01T00:00:00.000Z',
          },
        },
        targets: {},
        tickets: [],
      }),
    );
    const [user] = (await local.read(scope)).users;
    expect(user).toEqual({ login: 'old@example.com', displayName: 'Old', enabled: true, sessions: 0 });
    expect(user).not.toHaveProperty('lastSignIn');
  });
});
