/**
 * Artifact 5, terminated accounts: for every provider, every person whose employment ended by
 * `at`, and their account as the provider reports it now (read live). Zero enabled accounts is
 * the pass; each enabled one is a finding. Accounts on an embedded directory standing in for a
 * provider are labelled simulated.
 */
import { byCodePoint } from '../../model/order.js';
import { columns, count, iso, utc } from './common.js';
import type { Artifact, EvidenceInput, Finding, Row } from './types.js';

export function buildTerminatedAccounts(input: EvidenceInput): Artifact {
  const { index } = input;
  const terminated = [...index.people.values()]
    .map((p) => p.value)
    .filter((p) => p.employment.end !== undefined && Date.parse(p.employment.end) <= input.at)
    .sort((a, b) => byCodePoint(a.id, b.id));
  const rows: Row[] = [];
  const findings: Finding[] = [];
  for (const state of [...input.actual].sort((a, b) => byCodePoint(a.provider, b.provider))) {
    for (const p of terminated) {
      const login = p.email.toLowerCase();
      const user = state.users.find((u) => u.login === login);
      const held = state.memberships
        .filter((m) => m.members.includes(login))
        .map((m) => `${m.kind}:${m.target}`);
      const account = !user ? 'no account' : user.enabled ? 'ENABLED' : 'disabled';
      if (!user && held.length === 0 && state.provider === 'manual') continue;
      const finding = user?.enabled === true;
      if (finding)
        findings.push({
          artifact: 'terminated-accounts',
          text: `${p.id}'s account ${login} is still enabled on ${state.provider}${state.simulated ? ' (simulated)' : ''}; employment ended ${p.employment.end}.`,
        });
      rows.push({
        provider: state.provider,
        simulated: state.simulated,
        person: p.id,
        name: p.name,
        login,
        employmentEnd: utc(p.employment.end!),
        account,
        disabledAt: user?.disabledAt ? utc(user.disabledAt) : null,
        sessions: user?.sessions ?? null,
        accessStillHeld: held.join('; '),
        result: finding ? 'FINDING' : 'pass',
      });
    }
  }
  const enabled = rows.filter((r) => r.result === 'FINDING').length;
  const simulated = input.actual.filter((s) => s.simulated).map((s) => s.provider);
  const notes = [
    `${terminated.length} terminated people, ${input.actual.length} providers read live at ${iso(input.at)}: ${count(enabled, 'enabled account')} (zero is the pass).`,
  ];
  if (simulated.length)
    notes.push(`Simulated (embedded directories standing in for the provider): ${simulated.join(', ')}.`);
  return {
    id: 'terminated-accounts',
    title: 'Terminated accounts',
    proves:
      'No one whose employment ended can still sign in: every terminated person, every provider, read live.',
    columns: columns([
      ['provider', 'Provider'],
      ['simulated', 'Simulated'],
      ['person', 'Person'],
      ['name', 'Name'],
      ['login', 'Login'],
      ['employmentEnd', 'Employment ended'],
      ['account', 'Account'],
      ['disabledAt', 'Disabled at'],
      ['sessions', 'Live sessions'],
      ['accessStillHeld', 'Access still held'],
      ['result', 'Result'],
    ]),
    rows,
    notes,
    findings,
  };
}
