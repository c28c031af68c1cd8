/**
 * Last sign-ins: how the providers' "never" sentinels read, and that the value is only reported,
 * never planned on (the plan fingerprint ignores it, so a sign-in cannot make a plan stale).
 */
import { describe, expect, it } from 'vitest';
import type { ActualState } from '../../src/model/state.js';
import { fingerprintActual } from '../../src/plan/build-plan.js';
import { latestSignIn } from '../../src/providers/common.js';

describe('latestSignIn', () => {
  it.each([
    ['no value at all is never', [], null],
    ['Graph never: 0001-01-01 and empty strings', ['0001-01-01T00:00:00Z', '', null], null],
    ['Google never: the epoch', ['1970-01-01T00:00:00.000Z'], null],
    ['an unparseable value is ignored', ['soon', '2026-11-02T09:00:00Z'], '2026-11-02T09:00:00.000Z'],
    [
      'the latest wins, whatever the order',
      ['2026-11-02T09:00:00Z', '2026-11-20T17:53:42Z', '0001-01-01T00:00:00Z'],
      '2026-11-20T17:53:42.000Z',
    ],
    ['an offset is normalised to UTC', ['2026-04-05T17:30:04+01:00'], '2026-04-05T16:30:04.000Z'],
    [
      'a Date (the Okta SDK parses lastLogin)',
      [new Date('2026-11-20T08:15:30.000Z')],
      '2026-11-20T08:15:30.000Z',
    ],
  ] as const)('%s', (_name, values, expected) => {
    expect(latestSignIn(values)).toBe(expected);
  });
});

describe('the plan fingerprint', () => {
  const state = (lastSignIn?: string | null): ActualState => ({
    provider: 'okta',
    simulated: false,
    users: [
      {
        login: 'ann@example.com',
        enabled: true,
        sessions: null,
        ...(lastSignIn !== undefined ? { lastSignIn } : {}),
      },
    ],
    memberships: [{ kind: 'group', target: 'Eng', members: ['ann@example.com'] }],
    outOfScopeAccounts: 0,
  });

  it('does not change when only a last sign-in does', () => {
    const without = fingerprintActual([state()]);
    expect(fingerprintActual([state(null)])).toBe(without);
    expect(fingerprintActual([state('2026-11-20T08:15:30.000Z')])).toBe(without);
  });
});
