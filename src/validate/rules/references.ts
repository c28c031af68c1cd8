/**
 * References: every id a file names exists (people, roles, entitlements, apps, providers), and
 * no two catalog entries fight over one provider target. Each problem is an error Diagnostic at
 * the reference, with the closest existing id as a hint. An id whose file failed to load counts
 * as existing, so one broken file gives one error, not one per reference.
 */

import type { Located } from '../../load/source.js';
import type { Entitlement } from '../../model/schema.js';
import { refEntitlement, refPerson, refRole, type ValidationRule } from './context.js';
import { checkProviderKind } from './provider-kinds.js';
import { suggest } from './text.js';

/** Team members in policy/jml.yaml are people: a team grants approval rights to its members. */
export const teamMembers: ValidationRule = {
  name: 'teamMembers',
  rules: ['unknown-person'],
  check(ctx) {
    for (const [team, members] of Object.entries(ctx.policy.teams)) {
      members.forEach((id, i) => {
        refPerson(ctx, ctx.policyFile, ['teams', team, i], id, 'unknown-person', `The ${team} team member`);
      });
    }
  },
};

/** Every HR job family and title maps to a role that exists: HR sync gives joiners that role. */
export const hrRoleMappings: ValidationRule = {
  name: 'hrRoleMappings',
  rules: ['unknown-role'],
  check({ policy, policyFile, index, known, emit }) {
    for (const table of ['jobFamilies', 'titles'] as const) {
      for (const [key, roleName] of Object.entries(policy.hr?.[table] ?? {})) {
        if (!known.role(roleName))
          emit(
            'error',
            'unknown-role',
            policyFile,
            ['hr', table, key],
            `hr.${table} maps "${key}" to the role "${roleName}", which does not exist.`,
            `Use the id of a file in roles/ (for example ${suggest(roleName, index.roles.keys())}).`,
          );
      }
    }
  },
};

/**
 * A catalog entry's owner, app and provider exist, its target is not another entry's (two
 * entries would fight over the members), and its kind is one the provider can grant.
 */
export const catalogEntries: ValidationRule = {
  name: 'catalogEntries',
  rules: ['unknown-owner', 'unknown-app', 'unknown-provider', 'duplicate-target', 'invalid-value'],
  check(ctx) {
    const { repo, policy, known, emit } = ctx;
    const configured = new Set(['local', ...Object.keys(policy.providers)]);
    const targets = new Map<string, Located<Entitlement>>();
    for (const e of repo.entitlements) {
      refPerson(ctx, e, ['owner'], e.value.owner, 'unknown-owner', 'The owner');
      if (e.value.app && !known.app(e.value.app))
        emit(
          'error',
          'unknown-app',
          e,
          ['app'],
          `The app "${e.value.app}" is not in policy/apps.yaml.`,
          'Add the app to policy/apps.yaml or correct the id.',
        );
      if (!configured.has(e.value.provider))
        emit(
          'error',
          'unknown-provider',
          e,
          ['provider'],
          `The provider "${e.value.provider}" is not configured in policy/jml.yaml.`,
          `Add ${e.value.provider} under providers: in policy/jml.yaml, or use a configured one.`,
        );
      const targetKey = `${e.value.provider}/${e.value.kind}/${e.value.target.toLowerCase()}`;
      const sameTarget = targets.get(targetKey);
      if (sameTarget && sameTarget.value.id !== e.value.id)
        emit(
          'error',
          'duplicate-target',
          e,
          ['target'],
          `"${e.value.target}" on ${e.value.provider} is already the target of ${sameTarget.value.id}; two entitlements for one ${e.value.kind} would fight over its members.`,
          `Use ${sameTarget.value.id} in roles and exceptions instead, and remove this entry.`,
        );
      else targets.set(targetKey, e);
      checkProviderKind(e, emit);
    }
  },
};

/** An app's owner is a person: they approve exceptions for it. */
export const appOwners: ValidationRule = {
  name: 'appOwners',
  rules: ['unknown-owner'],
  check(ctx) {
    for (const a of ctx.repo.apps) refPerson(ctx, a, ['owner'], a.value.owner, 'unknown-owner', 'The owner');
  },
};

/** A role's owner, included roles and entitlements exist: a template grants nothing unknown. */
export const roleReferences: ValidationRule = {
  name: 'roleReferences',
  rules: ['unknown-owner', 'unknown-role', 'unknown-entitlement'],
  check(ctx) {
    for (const r of ctx.repo.roles) {
      refPerson(ctx, r, ['owner'], r.value.owner, 'unknown-owner', 'The owner');
      r.value.includes.forEach((inc, i) => {
        refRole(ctx, r, ['includes', i], inc, 'The included role');
      });
      r.value.entitlements.forEach((ent, i) => {
        refEntitlement(
          ctx,
          r,
          ['entitlements', i],
          ent,
          (closest) => `Add it to the catalog or correct the id (for example ${closest}).`,
        );
      });
    }
  },
};

/** A separation-of-duties rule names entitlements that exist: otherwise it forbids nothing. */
export const sodReferences: ValidationRule = {
  name: 'sodReferences',
  rules: ['unknown-entitlement'],
  check(ctx) {
    for (const s of ctx.repo.sod) {
      s.value.conflicting.forEach((ent, i) => {
        refEntitlement(ctx, s, ['conflicting', i], ent, () => 'Correct the id.');
      });
    }
  },
};

/** A person's manager and roles exist: the manager approves for them, the roles grant their access. */
export const personReferences: ValidationRule = {
  name: 'personReferences',
  rules: ['unknown-manager', 'unknown-role'],
  check(ctx) {
    for (const p of ctx.repo.people) {
      if (p.value.manager !== undefined)
        refPerson(ctx, p, ['manager'], p.value.manager, 'unknown-manager', 'The manager');
      p.value.roles.forEach((r, i) => {
        refRole(ctx, p, ['roles', i, 'role'], r.role, 'The role');
      });
    }
  },
};

/** An exception's person, approvers and entitlements exist: it grants known access to someone real. */
export const exceptionReferences: ValidationRule = {
  name: 'exceptionReferences',
  rules: ['unknown-person', 'unknown-approver', 'unknown-entitlement'],
  check(ctx) {
    for (const e of ctx.repo.exceptions) {
      refPerson(ctx, e, ['person'], e.value.person, 'unknown-person', 'The person');
      e.value.approvers.forEach((a, i) => {
        refPerson(ctx, e, ['approvers', i], a, 'unknown-approver', 'The approver');
      });
      e.value.entitlements.forEach((ent, i) => {
        refEntitlement(
          ctx,
          e,
          ['entitlements', i],
          ent,
          (closest) => `Correct the id (for example ${closest}).`,
        );
      });
    }
  },
};
