/**
 * Identity: every file's id is its file name, catalog ids are unique, and no two people share an
 * email, a GitHub login or an HR id. Each problem is an error Diagnostic at the offending id.
 */
import { type Located, locate } from '../../load/source.js';
import type { Person } from '../../model/schema.js';
import type { ValidationRule } from './context.js';
import { validateIdentities } from './identities.js';
import { stemOf } from './text.js';

/** A person, role or exception's id equals its file name: references and CODEOWNERS find files by id. */
export const idsMatchFiles: ValidationRule = {
  name: 'idsMatchFiles',
  rules: ['id-mismatch'],
  check({ repo, emit }) {
    for (const list of [repo.people, repo.roles, repo.exceptions] as Located<{ id: string }>[][]) {
      for (const item of list) {
        const stem = stemOf(item.src.path);
        if (item.value.id !== stem) {
          emit(
            'error',
            'id-mismatch',
            item,
            ['id'],
            `The id "${item.value.id}" differs from the file name "${stem}.yaml".`,
            `Make them equal: rename the file to ${item.value.id}.yaml or set id: ${stem}.`,
          );
        }
      }
    }
  },
};

/** Entitlement, app and separation-of-duties ids are unique: a reference must name one entry. */
export const uniqueCatalogIds: ValidationRule = {
  name: 'uniqueCatalogIds',
  rules: ['duplicate-id'],
  check({ repo, emit }) {
    for (const [list, what] of [
      [repo.entitlements, 'entitlement'],
      [repo.apps, 'app'],
      [repo.sod, 'separation-of-duties rule'],
    ] as const) {
      const seen = new Map<string, Located<unknown>>();
      for (const item of list as Located<{ id: string }>[]) {
        const first = seen.get(item.value.id);
        if (first)
          emit(
            'error',
            'duplicate-id',
            item,
            ['id'],
            `The ${what} id "${item.value.id}" is used twice (first at line ${locate(first.src, first.at).line}).`,
            'Give each entry its own id, or merge the two entries.',
          );
        else seen.set(item.value.id, item);
      }
    }
  },
};

/** Each person has their own email, GitHub login and HR id (case-insensitive): each names one account. */
export const uniquePersonFields: ValidationRule = {
  name: 'uniquePersonFields',
  rules: ['duplicate-email', 'duplicate-github', 'duplicate-hr-id'],
  check({ repo, emit }) {
    const uniqueField = (field: 'email' | 'github' | 'hrId', rule: string, label: string) => {
      const seen = new Map<string, Located<Person>>();
      for (const p of repo.people) {
        const v = p.value[field];
        if (!v) continue;
        const k = v.toLowerCase();
        const first = seen.get(k);
        if (first)
          emit(
            'error',
            rule,
            p,
            [field],
            `The ${label} "${v}" is also used by ${first.src.path}.`,
            `Each person needs their own ${label}; check which file is right.`,
          );
        else seen.set(k, p);
      }
    };
    uniqueField('email', 'duplicate-email', 'email');
    uniqueField('github', 'duplicate-github', 'GitHub login');
    uniqueField('hrId', 'duplicate-hr-id', 'HR id');
  },
};

/** Emails reach one mailbox of the organisation and no break-glass account; names are not padded. */
export const questionableIdentities: ValidationRule = {
  name: 'questionableIdentities',
  rules: ['email-plus-alias', 'email-plus-address', 'email-outside-domain', 'email-protected', 'padded-name'],
  check({ repo, policy, emit }) {
    validateIdentities(repo, policy, emit);
  },
};
