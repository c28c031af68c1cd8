/**
 * validate: the loaded model -> diagnostics about meaning (references, cycles, dates,
 * exceptions, separation of duties). Pure: the time `at` is an argument.
 *
 * Phases: unsafe characters, identity (ids, uniqueness, emails, provider-facing names),
 * references, structure (cycles), dates, exceptions (and what moves keep of them), access
 * (separation of duties, unreachable entitlements).
 */
import { loadRepository, type Repository } from '../load/load-repo.js';
import { type Located, locate, type YamlPath } from '../load/source.js';
import { type Diagnostic, hasErrors, sortDiagnostics } from '../model/diagnostic.js';
import { byProvider } from '../model/providers.js';
import { type Entitlement, fileKinds, type Person, SECURITY_REVIEW_FILE } from '../model/schema.js';
import { DAY_MS, instantMs, isValidTimeZone } from '../model/time.js';
import { indexRepository, type RepoIndex } from '../resolve/repo-index.js';
import { describeBecause, resolvePerson } from '../resolve/resolve.js';
import { type Emit, emitter } from './emit.js';
import { validateIdentities } from './identities.js';
import { validateRetain } from './retain.js';
import { validateUnsafeText } from './unsafe-text.js';

function stemOf(file: string): string {
  return file.replace(/^.*\//, '').replace(/\.yaml$/, '');
}

/**
 * What each provider's API can grant, and what to write instead of a kind it cannot: read from
 * the model's provider list (src/model/providers.ts), the list the registry builds providers from.
 */
const KINDS_BY_PROVIDER = byProvider((p) => p.kinds);
const KIND_HINT = byProvider((p) => p.catalogHint);

/** Validates a loaded repository at time `at`. Returns only the semantic diagnostics. */
export function validateRepository(
  repo: Repository,
  at: number,
): { diagnostics: Diagnostic[]; index?: RepoIndex } {
  const out: Diagnostic[] = [];
  const emit = emitter(out);
  validateUnsafeText(repo, emit);
  if (!repo.policy) return { diagnostics: out };
  const policy = repo.policy.value;
  if (!isValidTimeZone(policy.timezone)) {
    emit(
      'error',
      'bad-timezone',
      repo.policy,
      ['timezone'],
      `"${policy.timezone}" is not a time zone name.`,
      'Use an IANA name such as America/New_York or Europe/London.',
    );
    return { diagnostics: out };
  }
  const index = indexRepository(repo, policy);
  const { clock } = index;
  const { broken } = repo;
  const known = {
    person: (id: string) => index.people.has(id) || broken.people.has(id),
    role: (id: string) => index.roles.has(id) || broken.roles.has(id),
    entitlement: (id: string) =>
      index.entitlements.has(id) ||
      broken.entitlements.has(id) ||
      broken.files.has(fileKinds.entitlements.file),
    app: (id: string) => index.apps.has(id) || broken.apps.has(id) || broken.files.has(fileKinds.apps.file),
  };
  const refPerson = (at: Located<unknown>, path: YamlPath, id: string, rule: string, what: string) => {
    if (!known.person(id))
      emit(
        'error',
        rule,
        at,
        path,
        `${what} "${id}" is not a person in people/.`,
        `Use the id of a file in people/ (for example ${suggest(id, index.people.keys())}).`,
      );
  };

  // --- identity: ids equal file names, no duplicates ------------------------------------------
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
  validateIdentities(repo, policy, emit);

  // --- references ------------------------------------------------------------------------------
  for (const [team, members] of Object.entries(policy.teams)) {
    members.forEach((id, i) => {
      refPerson(repo.policy!, ['teams', team, i], id, 'unknown-person', `The ${team} team member`);
    });
  }
  // HR mapping: every job family and title maps to a role that exists.
  for (const table of ['jobFamilies', 'titles'] as const) {
    for (const [key, roleName] of Object.entries(policy.hr?.[table] ?? {})) {
      if (!known.role(roleName))
        emit(
          'error',
          'unknown-role',
          repo.policy,
          ['hr', table, key],
          `hr.${table} maps "${key}" to the role "${roleName}", which does not exist.`,
          `Use the id of a file in roles/ (for example ${suggest(roleName, index.roles.keys())}).`,
        );
    }
  }
  const configured = new Set(['local', ...Object.keys(policy.providers)]);
  const targets = new Map<string, Located<Entitlement>>();
  for (const e of repo.entitlements) {
    refPerson(e, ['owner'], e.value.owner, 'unknown-owner', 'The owner');
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
    if ((e.value.provider === 'manual') !== (e.value.kind === 'manual'))
      emit(
        'error',
        'invalid-value',
        e,
        ['kind'],
        `Entitlements on the manual provider must have kind manual, and only they.`,
        'Use provider: manual with kind: manual for apps handled by ticket.',
      );
    else if (!KINDS_BY_PROVIDER[e.value.provider].includes(e.value.kind))
      emit(
        'error',
        'invalid-value',
        e,
        ['kind'],
        `${e.value.provider} has no entitlements of kind ${e.value.kind}; it manages ${KINDS_BY_PROVIDER[e.value.provider].join(' and ')}.`,
        KIND_HINT[e.value.provider],
      );
  }
  for (const a of repo.apps) refPerson(a, ['owner'], a.value.owner, 'unknown-owner', 'The owner');
  for (const r of repo.roles) {
    refPerson(r, ['owner'], r.value.owner, 'unknown-owner', 'The owner');
    r.value.includes.forEach((inc, i) => {
      if (!known.role(inc))
        emit(
          'error',
          'unknown-role',
          r,
          ['includes', i],
          `The included role "${inc}" does not exist.`,
          `Use the id of a file in roles/ (for example ${suggest(inc, index.roles.keys())}).`,
        );
    });
    r.value.entitlements.forEach((ent, i) => {
      if (!known.entitlement(ent))
        emit(
          'error',
          'unknown-entitlement',
          r,
          ['entitlements', i],
          `The entitlement "${ent}" is not in policy/entitlements.yaml.`,
          `Add it to the catalog or correct the id (for example ${suggest(ent, index.entitlements.keys())}).`,
        );
    });
  }
  for (const s of repo.sod) {
    s.value.conflicting.forEach((ent, i) => {
      if (!known.entitlement(ent))
        emit(
          'error',
          'unknown-entitlement',
          s,
          ['conflicting', i],
          `The entitlement "${ent}" is not in policy/entitlements.yaml.`,
          'Correct the id.',
        );
    });
  }
  for (const p of repo.people) {
    if (p.value.manager !== undefined)
      refPerson(p, ['manager'], p.value.manager, 'unknown-manager', 'The manager');
    p.value.roles.forEach((r, i) => {
      if (!known.role(r.role))
        emit(
          'error',
          'unknown-role',
          p,
          ['roles', i, 'role'],
          `The role "${r.role}" does not exist.`,
          `Use the id of a file in roles/ (for example ${suggest(r.role, index.roles.keys())}).`,
        );
    });
  }
  for (const e of repo.exceptions) {
    refPerson(e, ['person'], e.value.person, 'unknown-person', 'The person');
    e.value.approvers.forEach((a, i) => {
      refPerson(e, ['approvers', i], a, 'unknown-approver', 'The approver');
    });
    e.value.entitlements.forEach((ent, i) => {
      if (!known.entitlement(ent))
        emit(
          'error',
          'unknown-entitlement',
          e,
          ['entitlements', i],
          `The entitlement "${ent}" is not in policy/entitlements.yaml.`,
          `Correct the id (for example ${suggest(ent, index.entitlements.keys())}).`,
        );
    });
  }

  // --- structure: manager chains and role includes without cycles ------------------------------
  for (const p of repo.people) {
    if (p.value.manager === p.value.id) {
      emit(
        'error',
        'self-manager',
        p,
        ['manager'],
        `${p.value.name} is listed as their own manager.`,
        'Set manager to the person they report to.',
      );
    }
  }
  // A cycle is reported on every member's line, so the annotation lands on whichever file the
  // pull request changed.
  const cycleOf = new Map<string, string[]>();
  const outsideCycles = new Set<string>();
  for (const p of repo.people) {
    const chain: string[] = [];
    const onChain = new Set<string>();
    let cur: string | undefined = p.value.id;
    while (cur !== undefined && !onChain.has(cur) && !outsideCycles.has(cur) && !cycleOf.has(cur)) {
      chain.push(cur);
      onChain.add(cur);
      cur = index.people.get(cur)?.value.manager;
    }
    if (cur !== undefined && onChain.has(cur)) {
      const cycle = chain.slice(chain.indexOf(cur));
      // A person who is their own manager is reported as self-manager.
      if (cycle.length > 1) {
        cycle.forEach((id, i) => {
          cycleOf.set(id, [...cycle.slice(i), ...cycle.slice(0, i)]);
        });
      }
    }
    for (const id of chain) if (!cycleOf.has(id)) outsideCycles.add(id);
  }
  for (const p of repo.people) {
    const cycle = cycleOf.get(p.value.id);
    if (!cycle || index.people.get(p.value.id) !== p) continue;
    emit(
      'error',
      'manager-cycle',
      p,
      ['manager'],
      `Managers go round in a circle: ${[...cycle, cycle[0]].join(' -> ')}.`,
      'Someone in this chain must report to a person outside it.',
    );
  }
  for (const r of repo.roles) {
    r.value.includes.forEach((inc, i) => {
      if (inc === r.value.id) {
        emit(
          'error',
          'role-include-cycle',
          r,
          ['includes', i],
          `The role ${inc} includes itself.`,
          'Remove it from its own includes.',
        );
        return;
      }
      const pathBack = findPath(inc, r.value.id, (id) => index.roles.get(id)?.value.includes ?? []);
      if (pathBack) {
        emit(
          'error',
          'role-include-cycle',
          r,
          ['includes', i],
          `Role includes go round in a circle: ${[r.value.id, ...pathBack].join(' -> ')}.`,
          'Remove one of the includes so the roles form a tree.',
        );
      }
    });
  }

  // --- dates -------------------------------------------------------------------------------------
  for (const p of repo.people) {
    const startMs = clock.dayStart(p.value.employment.start);
    const endMs = p.value.employment.end ? instantMs(p.value.employment.end) : undefined;
    if (endMs !== undefined && endMs <= startMs) {
      emit(
        'error',
        'end-before-start',
        p,
        ['employment', 'end'],
        `The employment ends (${p.value.employment.end}) before it starts (${p.value.employment.start}).`,
        'Correct the start date or the end instant.',
      );
    }
    let prev: string | undefined;
    p.value.roles.forEach((r, i) => {
      if (r.from < p.value.employment.start) {
        emit(
          'error',
          'role-before-start',
          p,
          ['roles', i, 'from'],
          `The role ${r.role} starts on ${r.from}, before employment starts on ${p.value.employment.start}.`,
          `Set from to ${p.value.employment.start} or later.`,
        );
      }
      if (prev !== undefined && r.from <= prev) {
        emit(
          'error',
          'roles-out-of-order',
          p,
          ['roles', i, 'from'],
          `Roles must be listed in date order, each on a later date; ${r.from} is not after ${prev}.`,
          'Order the roles by their from date, oldest first, one per date.',
        );
      }
      prev = r.from;
    });
    if (p.value.roles[0] && p.value.roles[0].from > p.value.employment.start) {
      emit(
        'warning',
        'no-role-at-start',
        p,
        ['roles', 0, 'from'],
        `From ${p.value.employment.start} to ${p.value.roles[0].from} no role is in force, so the person has no access.`,
        `Start the first role on ${p.value.employment.start}.`,
      );
    }
    // An active person must report to someone who is still here.
    const active = at >= startMs && (endMs === undefined || at < endMs);
    const mgr = p.value.manager ? index.people.get(p.value.manager) : undefined;
    if (active && mgr?.value.employment.end && instantMs(mgr.value.employment.end) <= at) {
      emit(
        'error',
        'manager-left',
        p,
        ['manager'],
        `${p.value.name}'s manager ${mgr.value.name} left on ${mgr.value.employment.end}.`,
        'Set manager to the person they report to now; approvals need a manager of record.',
      );
    }
  }

  // --- exceptions --------------------------------------------------------------------------------
  const { maxDays, warnDays } = policy.exceptions;
  for (const e of repo.exceptions) {
    const x = e.value;
    if (x.justification.trim().length < 10) {
      emit(
        'error',
        'exception-no-justification',
        e,
        ['justification'],
        'The justification is empty or too short to explain why this access is needed.',
        'Write why the access is needed and for how long, with a ticket reference.',
      );
    }
    const fromMs = clock.dayStart(x.from);
    const expMs = clock.dayStart(x.expires);
    const days = Math.round((expMs - fromMs) / DAY_MS);
    if (expMs <= fromMs) {
      emit(
        'error',
        'exception-bad-dates',
        e,
        ['expires'],
        `The exception expires (${x.expires}) on or before it starts (${x.from}).`,
        'Set expires after from.',
      );
    } else if (days > maxDays) {
      emit(
        'error',
        'exception-too-long',
        e,
        ['expires'],
        `The exception lasts ${days} days; policy allows at most ${maxDays}.`,
        `Set expires to ${clock.dateOf(fromMs + maxDays * DAY_MS)} or earlier, and renew it by a new pull request if still needed.`,
      );
    }
    if (expMs <= at) {
      emit(
        'error',
        'exception-expired',
        e,
        ['expires'],
        `The exception expired on ${x.expires}; it no longer grants anything.`,
        `Delete ${e.src.path} (or renew it with a new expiry, approved again).`,
      );
    } else if (expMs - at <= warnDays * DAY_MS) {
      emit(
        'warning',
        'exception-expiring-soon',
        e,
        ['expires'],
        `The exception expires on ${x.expires}, in ${Math.ceil((expMs - at) / DAY_MS)} days.`,
        'Renew it by pull request if the access is still needed, or let it lapse.',
      );
    }
    x.approvers.forEach((a, i) => {
      if (a === x.person)
        emit(
          'error',
          'exception-self-approved',
          e,
          ['approvers', i],
          `${a} cannot approve access for themselves.`,
          "Ask the person's manager (and for high-risk access the entitlement owner) to approve.",
        );
    });
    const holder = index.people.get(x.person);
    if (holder) {
      const when = Math.max(fromMs, clock.dayStart(holder.value.employment.start));
      const role = resolvePerson(index, holder, when);
      x.entitlements.forEach((ent, i) => {
        const g = role.grants.find(
          (gr) => gr.entitlement === ent && gr.because.some((b) => b.source === 'role'),
        );
        if (g)
          emit(
            'warning',
            'exception-redundant',
            e,
            ['entitlements', i],
            `${ent} is already granted by the role (${describeBecause(g.because[0]!)}).`,
            'Remove it from the exception: the role grants it anyway.',
          );
      });
    }
  }

  validateRetain(repo, index, at, emit);

  // --- access: separation of duties at every date a person's access changes --------------------
  if (repo.sod.length > 0) {
    const ruleOf = new Map<string, Set<string>>(); // entitlement -> rules naming it
    for (const rule of repo.sod) {
      for (const ent of rule.value.conflicting)
        ruleOf.set(ent, (ruleOf.get(ent) ?? new Set()).add(rule.value.id));
    }
    // Could anything this person ever holds clash? Only then is each date resolved.
    const mayClash = (p: Located<Person>): boolean => {
      const hits = new Map<string, Set<string>>(); // rule -> entitlements
      const note = (ent: string) => {
        for (const rule of ruleOf.get(ent) ?? []) hits.set(rule, (hits.get(rule) ?? new Set()).add(ent));
      };
      for (const r of p.value.roles) for (const ent of index.expandRole(r.role).keys()) note(ent);
      for (const e of index.exceptionsByPerson.get(p.value.id) ?? [])
        for (const ent of e.value.entitlements) note(ent);
      return [...hits.values()].some((ents) => ents.size >= 2);
    };
    for (const p of repo.people) {
      if (!mayClash(p)) continue;
      const dates = new Set<string>([p.value.employment.start, ...p.value.roles.map((r) => r.from)]);
      const personExceptions = index.exceptionsByPerson.get(p.value.id) ?? [];
      for (const e of personExceptions) {
        dates.add(e.value.from);
        dates.add(e.value.expires);
      }
      const reported = new Set<string>();
      for (const d of [...dates].sort()) {
        const t = Math.max(clock.dayStart(d), clock.dayStart(p.value.employment.start));
        const state = resolvePerson(index, p, t);
        if (state.status !== 'active') continue;
        const held = new Map(state.grants.map((g) => [g.entitlement, g]));
        for (const rule of repo.sod) {
          if (reported.has(rule.value.id)) continue;
          const clash = rule.value.conflicting.filter((ent) => held.has(ent));
          if (clash.length < 2) continue;
          reported.add(rule.value.id);
          // Point at the grant that began last: the role change or exception that brought the clash.
          let blame: { at: Located<unknown>; path: YamlPath; since: string; exception: boolean } | undefined;
          for (const ent of clash) {
            for (const b of held.get(ent)!.because) {
              const exc =
                b.source === 'exception' ? personExceptions.find((x) => x.value.id === b.id) : undefined;
              const cand = exc
                ? {
                    at: exc,
                    path: ['entitlements', exc.value.entitlements.indexOf(ent)],
                    since: exc.value.from,
                    exception: true,
                  }
                : {
                    at: p,
                    path: ['roles', state.role?.index ?? 0],
                    since: state.role?.from ?? '',
                    exception: false,
                  };
              if (
                !blame ||
                cand.since > blame.since ||
                (cand.since === blame.since && cand.exception && !blame.exception)
              )
                blame = cand;
            }
          }
          emit(
            'error',
            'sod-conflict',
            blame!.at,
            blame!.path,
            `${p.value.name} would hold ${clash.join(' and ')} together from ${clock.dateOf(t)}, which separation-of-duties rule "${rule.value.id}" forbids (${rule.value.title}).`,
            `Remove one of them (${clash.map((c) => `${c}: ${describeBecause(held.get(c)!.because[0]!)}`).join('; ')}), or change the rule in policy/sod.yaml with the security team's approval.`,
          );
        }
      }
    }
  }

  // --- entitlements nobody can hold ---------------------------------------------------------------
  const reachable = new Set<string>();
  for (const r of index.roles.keys()) for (const ent of index.expandRole(r).keys()) reachable.add(ent);
  for (const e of repo.exceptions) for (const ent of e.value.entitlements) reachable.add(ent);
  // A role or exception file that failed to load may be the one granting it: say nothing then.
  const grantsMissing = broken.roles.size > 0 || broken.exceptions.size > 0;
  for (const e of repo.entitlements) {
    if (!grantsMissing && !reachable.has(e.value.id)) {
      emit(
        'warning',
        'entitlement-unreachable',
        e,
        ['id'],
        `No role or exception grants "${e.value.id}", so nobody can hold it.`,
        'Add it to a role, or remove it from the catalog.',
      );
    }
  }

  validateReviews(repo, index, emit, known.person, known.entitlement);
  return { diagnostics: out, index };
}

/**
 * reviews/<quarter>/: the quarter in each file equals its folder's, the reviewer file is named
 * after its reviewer (security.yaml: a security team member), every person and entitlement
 * exists, no item id appears twice in a file, and nobody reviews their own access.
 */
function validateReviews(
  repo: Repository,
  index: RepoIndex,
  emit: Emit,
  knownPerson: (id: string) => boolean,
  knownEntitlement: (id: string) => boolean,
): void {
  const folderOf = (file: string) => file.split('/')[1] ?? '';
  const quarterMatches = (item: Located<{ quarter: string }>) => {
    const folder = folderOf(item.src.path);
    if (item.value.quarter !== folder)
      emit(
        'error',
        'review-quarter-mismatch',
        item,
        ['quarter'],
        `The file says quarter ${item.value.quarter} but is in reviews/${folder}/.`,
        `Set quarter: ${folder}, or move the file to reviews/${item.value.quarter}/.`,
      );
  };
  const campaigns = new Map(repo.reviews.campaigns.map((c) => [folderOf(c.src.path), c]));
  for (const c of repo.reviews.campaigns) {
    quarterMatches(c);
    c.value.reviewers.forEach((r, i) => {
      if (!knownPerson(r.reviewer))
        emit(
          'error',
          'unknown-person',
          c,
          ['reviewers', i, 'reviewer'],
          `The reviewer "${r.reviewer}" is not a person in people/.`,
          'Use the id of a file in people/.',
        );
    });
  }
  const security = new Set(index.policy.teams.security);
  for (const f of repo.reviews.files) {
    quarterMatches(f);
    const stem = stemOf(f.src.path);
    const { reviewer } = f.value;
    if (!knownPerson(reviewer))
      emit(
        'error',
        'unknown-person',
        f,
        ['reviewer'],
        `The reviewer "${reviewer}" is not a person in people/.`,
        'Use the id of a file in people/.',
      );
    else if (stem === SECURITY_REVIEW_FILE ? !security.has(reviewer) : stem !== reviewer)
      emit(
        'error',
        'review-wrong-reviewer',
        f,
        ['reviewer'],
        stem === SECURITY_REVIEW_FILE
          ? `${reviewer} is not in teams.security, so cannot review the security team's file.`
          : `The reviewer "${reviewer}" differs from the file name "${stem}.yaml".`,
        stem === SECURITY_REVIEW_FILE
          ? 'Name a member of teams.security in policy/jml.yaml.'
          : `Make them equal: a reviewer file is named after its reviewer (reviews/<quarter>/${reviewer}.yaml).`,
      );
    const campaign = campaigns.get(folderOf(f.src.path));
    if (campaign && !campaign.value.reviewers.some((r) => r.file === f.src.path))
      emit(
        'error',
        'review-not-in-campaign',
        f,
        ['reviewer'],
        `${f.src.path} is not one of the reviewer files of ${campaign.src.path}.`,
        'Review files are written by jml review start; remove this one or start the campaign again.',
      );
    const seen = new Map<string, number>();
    f.value.items.forEach((item, i) => {
      const first = seen.get(item.id);
      if (first !== undefined)
        emit(
          'error',
          'duplicate-id',
          f,
          ['items', i, 'id'],
          `The item id "${item.id}" is used twice in this file (first at item ${first + 1}).`,
          'Each item is one entitlement of one account: keep one of the two.',
        );
      else seen.set(item.id, i);
      if (item.person !== null && !knownPerson(item.person))
        emit(
          'error',
          'unknown-person',
          f,
          ['items', i, 'person'],
          `The person "${item.person}" is not a person in people/.`,
          'Use the id of a file in people/, or null for an account that belongs to nobody.',
        );
      if (item.person === reviewer)
        emit(
          'error',
          'review-self',
          f,
          ['items', i, 'person'],
          `${reviewer} would review their own access.`,
          "Move the item to the file of the person's manager (or security.yaml at the top of the organisation).",
        );
      if (!knownEntitlement(item.entitlement))
        emit(
          'error',
          'unknown-entitlement',
          f,
          ['items', i, 'entitlement'],
          `The entitlement "${item.entitlement}" is not in policy/entitlements.yaml.`,
          'Correct the id.',
        );
    });
  }
}

/** A path of includes from `from` to `to`, if one exists. */
function findPath(from: string, to: string, next: (id: string) => readonly string[]): string[] | undefined {
  const seen = new Set<string>();
  const walk = (id: string): string[] | undefined => {
    if (id === to) return [id];
    if (seen.has(id)) return undefined;
    seen.add(id);
    for (const n of next(id)) {
      const rest = walk(n);
      if (rest) return [id, ...rest];
    }
    return undefined;
  };
  return walk(from);
}

/** The closest known id, for "did you mean" hints. */
function suggest(id: string, candidates: Iterable<string>): string {
  let best = '';
  let bestScore = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const score = distance(id, c);
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best || 'none defined yet';
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 8) return 99;
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = i - 1;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/**
 * Rules that fail review (`jml validate`) but do not stop plan or apply, which must carry on
 * with due changes: those a repository can start breaking merely because time passed, and
 * `email-protected`, which a policy change can bring about for a person already in people/
 * (a login declared break-glass) and whose account every plan already leaves alone (the
 * protected-account guard), so stopping every leaver's disable for it would protect nothing.
 */
export const TIME_DEPENDENT_RULES: ReadonlySet<string> = new Set([
  'exception-expired',
  'manager-left',
  'email-protected',
]);

export interface CheckResult {
  repo: Repository;
  index?: RepoIndex;
  diagnostics: Diagnostic[];
  ok: boolean;
}

/**
 * load + validate: the front half of every command. `at` may be a function of the organisation's
 * time zone, so that `--at 2027-02-01` means midnight there.
 */
export function checkRepository(
  root: string,
  at: number | ((zone: string | undefined) => number),
): CheckResult {
  const loaded = loadRepository(root);
  const zone = loaded.repo.policy?.value.timezone;
  const atMs = typeof at === 'number' ? at : at(zone && isValidTimeZone(zone) ? zone : undefined);
  const { diagnostics, index } = validateRepository(loaded.repo, atMs);
  const all = sortDiagnostics([...loaded.diagnostics, ...diagnostics]);
  return { repo: loaded.repo, ...(index ? { index } : {}), diagnostics: all, ok: !hasErrors(all) };
}
