/**
 * Questionable identities: emails that would give one human a second account, put a person on
 * a mailbox outside the organisation, or reach a break-glass account; and provider-facing names
 * whose surrounding whitespace the providers would not keep. Each is an error Diagnostic at the
 * offending value's line, except a plus address that aliases nobody (a warning).
 *
 * Emails are compared case-insensitively (the providers do), and a plus address
 * (`alice.nguyen+admin@example.com`) is read as the mailbox before the `+`, at the same domain,
 * which is how Microsoft 365 and Google Workspace deliver it.
 */
import type { Repository } from '../../load/load-repo.js';
import type { Located } from '../../load/source.js';
import type { Person, Policy } from '../../model/schema.js';
import type { Emit } from '../emit.js';
import { findUnsafeCharacter } from './unsafe-text.js';

/** An email split into what decides where its mail goes. */
interface Address {
  /** The whole address, lower-case. */
  lower: string;
  domain: string;
  /** `local@domain` without any `+tag`, lower-case: the mailbox mail to it reaches. */
  mailbox: string;
  /** The `+tag` part (without `+`), or undefined when there is none. */
  tag?: string;
}

/** Splits an email (which the model has already checked has one `@`). */
function parseAddress(email: string): Address {
  const lower = email.toLowerCase();
  const at = lower.lastIndexOf('@');
  const local = lower.slice(0, at);
  const domain = lower.slice(at + 1);
  const plus = local.indexOf('+');
  return {
    lower,
    domain,
    mailbox: `${plus >= 0 ? local.slice(0, plus) : local}@${domain}`,
    ...(plus >= 0 ? { tag: email.slice(email.indexOf('+') + 1, email.lastIndexOf('@')) } : {}),
  };
}

/** The domains a person's email may be at: organisation.emailDomains, else organisation.domain. */
function emailDomainsOf(policy: Policy): string[] {
  return (policy.organisation.emailDomains ?? [policy.organisation.domain]).map((d) => d.toLowerCase());
}

function validateEmails(repo: Repository, policy: Policy, emit: Emit): void {
  const domains = emailDomainsOf(policy);
  const protectedBy = new Map<string, string>(); // exact address or mailbox -> protected account
  for (const acct of policy.safety.protectedAccounts) {
    const a = parseAddress(acct);
    protectedBy.set(a.lower, acct);
    if (!protectedBy.has(a.mailbox)) protectedBy.set(a.mailbox, acct);
  }
  const byMailbox = new Map<string, Located<Person>[]>();
  for (const p of repo.people) {
    const { mailbox } = parseAddress(p.value.email);
    byMailbox.set(mailbox, [...(byMailbox.get(mailbox) ?? []), p]);
  }

  for (const p of repo.people) {
    const { email } = p.value;
    const addr = parseAddress(email);

    // --- the organisation's domains: exact, a subdomain is another domain ----------------------
    if (!domains.includes(addr.domain)) {
      const parent = domains.find((d) => addr.domain.endsWith(`.${d}`));
      emit(
        'error',
        'email-outside-domain',
        p,
        ['email'],
        `The email ${email} is at ${addr.domain}, which is not ${domains.length === 1 ? "the organisation's email domain" : "one of the organisation's email domains"} (${domains.join(', ')})${parent ? `; a subdomain of ${parent} is a different domain` : ''}.`,
        `Use the person's address at ${domains[0]}. If ${addr.domain} really is the organisation's, add it to organisation.emailDomains in policy/jml.yaml (the security team approves that).`,
      );
    }

    // --- break-glass accounts are nobody's identity --------------------------------------------
    const prot = protectedBy.get(addr.lower) ?? protectedBy.get(addr.mailbox);
    if (prot !== undefined) {
      const same = parseAddress(prot).lower === addr.lower;
      emit(
        'error',
        'email-protected',
        p,
        ['email'],
        same
          ? `The email ${email} is the protected break-glass account ${prot} (safety.protectedAccounts in policy/jml.yaml).`
          : `The email ${email} reaches the mailbox of the protected break-glass account ${prot} (safety.protectedAccounts in policy/jml.yaml).`,
        "Give the person their own mailbox. A break-glass account belongs to nobody: it stays out of people/ so that no plan creates, changes or disables it, and nobody's password resets reach it.",
      );
      continue;
    }

    // --- plus addresses: one mailbox, one person ------------------------------------------------
    if (addr.tag === undefined) continue;
    // Exactly the same address is the duplicate-email rule's business.
    const others = (byMailbox.get(addr.mailbox) ?? []).filter(
      (o) => o !== p && o.value.email.toLowerCase() !== addr.lower,
    );
    const other = others.find((o) => parseAddress(o.value.email).tag === undefined) ?? others[0];
    if (other) {
      const bare = parseAddress(other.value.email).tag === undefined;
      emit(
        'error',
        'email-plus-alias',
        p,
        ['email'],
        bare
          ? `The email ${email} is a plus address of ${other.value.email}, the email of ${other.value.id} (${other.src.path}): mail to both reaches one mailbox, so one person would hold two identities.`
          : `The email ${email} and ${other.value.email} (${other.value.id}, ${other.src.path}) are plus addresses of one mailbox, ${addr.mailbox}: one person would hold two identities.`,
        `Use this person's own mailbox. A second (for example admin) account for ${other.value.id} is not a new person: grant the access through their roles or an exception.`,
      );
    } else {
      emit(
        'warning',
        'email-plus-address',
        p,
        ['email'],
        `The email ${email} is a plus address (sub-address) of ${addr.mailbox}, which is nobody's email in people/; the accounts would be named after a sub-address of someone's mailbox.`,
        `Use the person's own mailbox address, without "+${addr.tag}".`,
      );
    }
  }
}

const PADDED = /^\s|\s$/;

/** `text` in quotes, with every whitespace character but the plain space written as \u{...}. */
function showSpaces(text: string): string {
  return `"${text.replace(/[^\S ]/gu, (ch) => `\\u{${ch.codePointAt(0)!.toString(16).toUpperCase()}}`)}"`;
}

/** A value with whitespace at either end, that is not already refused for an unsafe character. */
function padded(text: string): boolean {
  return PADDED.test(text) && !findUnsafeCharacter(text);
}

function validatePaddedNames(repo: Repository, policy: Policy, emit: Emit): void {
  for (const e of repo.entitlements) {
    const t = e.value.target;
    if (padded(t))
      emit(
        'error',
        'padded-name',
        e,
        ['target'],
        `The target ${showSpaces(t)} begins or ends with whitespace. The provider's ${e.value.kind} is named without it, so this entitlement would match nothing there (or create a second ${e.value.kind}).`,
        `Write target: ${t.trim()}`,
      );
  }
  for (const p of repo.people) {
    const n = p.value.name;
    if (padded(n))
      emit(
        'error',
        'padded-name',
        p,
        ['name'],
        `The name ${showSpaces(n)} begins or ends with whitespace. It becomes the display name on every identity provider, which trim or split it differently, so the account would never match git.`,
        `Write name: ${n.trim()}`,
      );
  }
  for (const table of ['jobFamilies', 'titles'] as const) {
    for (const key of Object.keys(policy.hr?.[table] ?? {})) {
      if (padded(key) && repo.policy)
        emit(
          'error',
          'padded-name',
          repo.policy,
          ['hr', table, key],
          `The hr.${table} entry ${showSpaces(key)} begins or ends with whitespace. HR's values are matched exactly, so it would match no worker.`,
          `Write it as "${key.trim()}".`,
          true,
        );
    }
  }
}

/** Emails (domain, break-glass, plus addresses) and provider-facing names. */
export function validateIdentities(repo: Repository, policy: Policy, emit: Emit): void {
  validateEmails(repo, policy, emit);
  validatePaddedNames(repo, policy, emit);
}
