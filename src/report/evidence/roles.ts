/**
 * Artifact 2, the role templates: each role (job family), the roles it includes (resolved, with
 * the chain), and every entitlement it grants per provider with its title, kind, target, risk and
 * owner. The auditor compares it with what was granted (jml-events) and with the providers.
 */
import { byCodePoint } from '../../model/order.js';
import { columns } from './common.js';
import type { Artifact, EvidenceInput, Row } from './types.js';

export function buildRoles(input: EvidenceInput): Artifact {
  const { index } = input;
  const rows: Row[] = [];
  const names = (id: string) => index.people.get(id)?.value.name ?? id;
  for (const role of [...index.roles.values()].map((r) => r.value).sort((a, b) => byCodePoint(a.id, b.id))) {
    const grants = [...index.expandRole(role.id)].sort(
      ([a], [b]) =>
        byCodePoint(
          index.entitlements.get(a)?.value.provider ?? '',
          index.entitlements.get(b)?.value.provider ?? '',
        ) || byCodePoint(a, b),
    );
    const included = new Set(grants.flatMap(([, via]) => via.slice(1)));
    const base = {
      role: role.id,
      roleTitle: role.title,
      roleOwner: `${names(role.owner)} (${role.owner})`,
      includes: role.includes.join('; '),
      includesResolved: [...included].sort().join('; '),
    };
    if (grants.length === 0) rows.push({ ...base, provider: null, entitlement: null, via: null });
    for (const [ent, via] of grants) {
      const e = index.entitlements.get(ent)?.value;
      rows.push({
        ...base,
        provider: e?.provider ?? null,
        entitlement: ent,
        entitlementTitle: e?.title ?? null,
        kind: e?.kind ?? null,
        target: e?.target ?? null,
        risk: e?.risk ?? null,
        entitlementOwner: e ? `${names(e.owner)} (${e.owner})` : null,
        via: via.join(' > '),
      });
    }
  }
  return {
    id: 'roles',
    title: 'Role templates',
    proves:
      'What each job family is granted, per provider, with includes resolved: the template every joiner and mover is provisioned from.',
    columns: columns([
      ['role', 'Role'],
      ['roleTitle', 'Role title'],
      ['roleOwner', 'Role owner'],
      ['includes', 'Includes'],
      ['includesResolved', 'Includes (resolved)'],
      ['provider', 'Provider'],
      ['entitlement', 'Entitlement'],
      ['entitlementTitle', 'Title'],
      ['kind', 'Kind'],
      ['target', 'Target'],
      ['risk', 'Risk'],
      ['entitlementOwner', 'Entitlement owner'],
      ['via', 'Granted via'],
    ]),
    rows,
    notes: [],
    findings: [],
  };
}
