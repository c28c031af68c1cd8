/** The example organisation applied to the embedded providers, then changed by hand. */
import { expect } from 'vitest';
import { copyExample, editDirectory, jml, readDirectory } from '../engine/helpers.js';

export const T0 = '2026-12-01';
export const AT = '2027-01-04T09:00:00-05:00';
export const Q = '2027-Q1';
export const STRANGER = 'mallory.unknown@example.com';

/** The example applied at T0, then changed by hand on the providers. */
export async function driftedExample(): Promise<string> {
  const dir = copyExample();
  const applied = await jml(
    dir,
    'apply',
    '--confirm',
    '--at',
    T0,
    '--allow-mass-removal',
    '--allow-mass-disable',
  );
  expect(applied.code, applied.err).toBe(0);
  // An orphaned grant: alice.nguyen added by hand to a managed local group she does not hold.
  const local = readDirectory(dir, 'local');
  const orphanTarget = Object.keys(local.targets)
    .sort()
    .find((k) => !local.targets[k]!.includes('alice.nguyen@example.com'))!;
  editDirectory(dir, 'local', (d) => {
    d.targets[orphanTarget]!.push('alice.nguyen@example.com', STRANGER);
    // An inactive user: ben.carter last signed in long ago; grace.lin yesterday.
    d.users['ben.carter@example.com']!.lastSignIn = '2026-06-01T12:00:00.000Z';
    d.users['grace.lin@example.com']!.lastSignIn = '2027-01-03T12:00:00.000Z';
  });
  return dir;
}
