/**
 * renderDump (src/report/dump.ts): a provider's whole state as repository files, pure; the engine
 * (src/engine/dump.ts) reads the provider and writes them.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ActualState } from '../../src/model/state.js';
import { renderDump } from '../../src/report/dump.js';

const user = (login: string, displayName?: string) => ({
  login,
  enabled: true,
  sessions: 0,
  ...(displayName ? { displayName } : {}),
});

const STATE: ActualState = {
  provider: 'okta',
  simulated: true,
  users: [user('ana.dev@example.com', 'Ana Dev'), user('bo.dev@example.com'), user('cy.ops@example.com')],
  memberships: [
    { kind: 'group', target: 'Engineering', members: ['ana.dev@example.com', 'bo.dev@example.com'] },
    { kind: 'app', target: 'PagerDuty', members: ['cy.ops@example.com'] },
  ],
  outOfScopeAccounts: 0,
};

describe('renderDump', () => {
  const files = renderDump('okta', STATE, '2027-01-04');
  const doc = (p: string) => parse(files.find((f) => f.path === p)!.text);

  it('writes the catalog first, then each new role before the first person who holds it', () => {
    expect(files.map((f) => f.path)).toEqual([
      'policy/entitlements.okta.yaml',
      'roles/imported-okta-1.yaml',
      'people/ana.dev.yaml',
      'people/bo.dev.yaml',
      'roles/imported-okta-2.yaml',
      'people/cy.ops.yaml',
    ]);
  });

  it('makes one role per distinct set of access, so the first plan after copying is empty', () => {
    expect(doc('people/ana.dev.yaml').roles).toEqual([{ role: 'imported-okta-1', from: '2027-01-04' }]);
    expect(doc('people/bo.dev.yaml').roles).toEqual([{ role: 'imported-okta-1', from: '2027-01-04' }]);
    expect(doc('roles/imported-okta-2.yaml').entitlements).toEqual(['okta-pagerduty']);
  });

  it('marks what the provider cannot know to fill in, and names a person by login when it has no name', () => {
    expect(doc('policy/entitlements.okta.yaml')[0]).toEqual({
      id: 'okta-engineering',
      provider: 'okta',
      kind: 'group',
      target: 'Engineering',
      owner: 'fill-in',
      risk: 'low',
    });
    expect(doc('people/bo.dev.yaml')).toMatchObject({ name: 'bo.dev@example.com', department: 'fill-in' });
  });

  it('points people and roles at their JSON Schema for editors; the catalog has none', () => {
    expect(files.find((f) => f.path === 'people/ana.dev.yaml')!.text.split('\n')[0]).toBe(
      '# yaml-language-server: $schema=../.jml/schemas/person.schema.json',
    );
    expect(files[0]!.text.startsWith('- id: okta-engineering')).toBe(true);
  });
});
