/**
 * Every provider runs the conformance suite: adding one to the model's list (src/model/providers.ts)
 * without a conformance subject, or a connector without a loopback fake of its API, fails here.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROVIDER_NAMES, PROVIDER_SPECS } from '../../src/model/providers.js';
import { SUBJECTS } from './subjects.js';

const FAKES = path.join(import.meta.dirname, '../fakes');

describe('conformance coverage', () => {
  it('every provider holding accounts has one conformance subject (manual, a ticket ledger, holds none)', () => {
    expect(SUBJECTS.map((s) => s.name).sort()).toEqual(PROVIDER_NAMES.filter((n) => n !== 'manual').sort());
  });

  it.each(PROVIDER_NAMES.filter((n) => PROVIDER_SPECS[n].connection))(
    '%s: a real connection is tested against a loopback fake of its API in test/fakes',
    (name) => {
      expect(existsSync(path.join(FAKES, name, 'harness.ts'))).toBe(true);
      expect(SUBJECTS.find((s) => s.name === name)?.fake).toBeDefined();
    },
  );
});
