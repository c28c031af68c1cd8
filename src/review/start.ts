/**
 * review start (pure): the providers' real state at T -> a quarter's access review campaign.
 *
 * Phases: desired (who should hold what at T, and why), actual (every managed membership the
 * providers report), sources (role, exception, or orphaned: held but granted by nothing in git),
 * reviewers (each person's items go to their manager; the top of the organisation and accounts
 * that belong to nobody go to the security team's file), render (deterministic YAML).
 *
 * The population is every membership of a managed target on every provider, less what the leaver
 * control owns: a leaver's grant kept on purpose during retention (onLeave: retain). Whatever
 * a leaver still holds beyond that is an orphaned grant and is reviewed.
 */
import { createHash } from 'node:crypto';
import { formatRef } from '../load/source.js';
import { toPolicyYaml } from '../load/write-yaml.js';
import { byCodePoint } from '../model/order.js';
import {
  type Entitlement,
  type ProviderName,
  type ReviewCampaign,
  type ReviewFile,
  type ReviewItem,
  SECURITY_REVIEW_FILE,
  schemaLine,
} from '../model/schema.js';
import type { ActualState, ActualUser } from '../model/state.js';
import { DAY_MS, toIso } from '../model/time.js';
import { fingerprintActual, targetKey } from '../plan/build-plan.js';
import type { RepoIndex } from '../resolve/repo-index.js';
import { type Because, type PersonState, resolveAll } from '../resolve/resolve.js';

export interface StartInput {
  index: RepoIndex;
  actual: readonly ActualState[];
  at: number;
  quarter: string;
  /** The due date (YYYY-MM-DD, org zone); default: T + reviews.dueDays. */
  due?: string;
  commit: string | null;
}

export interface ReviewerFileOut {
  /** reviews/<quarter>/<reviewer>.yaml */
  path: string;
  /** The file name without .yaml: the reviewer's id, or `security`. */
  name: string;
  reviewer: string;
  file: ReviewFile;
  text: string;
}

export interface Campaign {
  campaign: ReviewCampaign;
  campaignPath: string;
  campaignText: string;
  files: ReviewerFileOut[];
  /** The canonical JSON of the provider state read (its sha256 is in the campaign). */
  exportJson: string;
  /** Problems that stop the campaign (no security reviewer): nothing is written when any. */
  errors: string[];
}

/** The last sign-in as providers may report it (src/providers/types.ts `ActualUser.lastSignIn`). */
type WithSignIn = ActualUser & { lastSignIn?: string | null };

/**
 * The provider state as one canonical JSON text (providers, users and targets sorted, keys in a
 * fixed order): the export a campaign is taken from. Same state, same bytes.
 */
export function exportActual(actual: readonly ActualState[]): string {
  const providers = [...actual]
    .sort((a, b) => byCodePoint(a.provider, b.provider))
    .map((s) => ({
      provider: s.provider,
      simulated: s.simulated,
      outOfScopeAccounts: s.outOfScopeAccounts,
      users: [...s.users]
        .sort((a, b) => byCodePoint(a.login, b.login))
        .map((u) => ({
          login: u.login,
          displayName: u.displayName ?? null,
          enabled: u.enabled,
          sessions: u.sessions,
          disabledAt: u.disabledAt ?? null,
          ...((u as WithSignIn).lastSignIn !== undefined ? { lastSignIn: (u as WithSignIn).lastSignIn } : {}),
        })),
      memberships: [...s.memberships]
        .sort((a, b) => byCodePoint(targetKey(a.kind, a.target), targetKey(b.kind, b.target)))
        .map((m) => ({ kind: m.kind, target: m.target, members: [...m.members].sort(byCodePoint) })),
    }));
  return `${JSON.stringify({ schema: 'jml-export/v1', providers }, null, 1)}\n`;
}

/** The first day of the quarter after `q` does not matter here; only its shape is checked. */

export function buildCampaign(input: StartInput): Campaign {
  const { index, actual, at, quarter } = input;
  const { policy, clock } = index;
  const settings = policy.reviews;
  const errors: string[] = [];
  const dueDate = input.due ?? clock.dateOf(at + settings.dueDays * DAY_MS);
  const dueMs = clock.dayStart(dueDate);
  const soonUntil = Math.max(dueMs, at + policy.exceptions.warnDays * DAY_MS);

  // --- desired: who should hold what at T, and why -------------------------------------------
  const desired = resolveAll(index, at);
  const byId = new Map(desired.people.map((p) => [p.id, p]));
  const byLogin = new Map(desired.people.map((p) => [p.login, p]));

  /** The first active manager up the chain; undefined at the top of the organisation. */
  const reviewerOf = (p: PersonState): string | undefined => {
    const seen = new Set([p.id]);
    let cur = index.people.get(p.id)?.value.manager;
    while (cur !== undefined && !seen.has(cur)) {
      seen.add(cur);
      if (byId.get(cur)?.status === 'active') return cur;
      cur = index.people.get(cur)?.value.manager;
    }
    return undefined;
  };

  const sourceOf = (p: PersonState, entitlement: string): ReviewItem['source'] => {
    const g = p.status === 'active' ? p.grants.find((x) => x.entitlement === entitlement) : undefined;
    if (!g) return { kind: 'orphaned' };
    const role = g.because.find((b) => b.source === 'role');
    if (role) return roleSource(role);
    const exc = g.because[0]!;
    const file = index.exceptionsByPerson.get(p.id)?.find((x) => x.value.id === exc.id);
    return { kind: 'exception', id: exc.id, at: formatRef(exc.ref), expires: file?.value.expires ?? '' };
  };

  const signIn = (user: WithSignIn | undefined, p: PersonState | undefined) => {
    const raw = user?.lastSignIn;
    if (raw === undefined) return { lastSignIn: null, inactive: null };
    const limit = settings.inactivityDays * DAY_MS;
    if (raw === null) {
      // Never signed in: inactive once the account has had the whole window to be used.
      return { lastSignIn: 'never' as const, inactive: p ? at - p.startMs >= limit : true };
    }
    const ms = Date.parse(raw);
    if (Number.isNaN(ms)) return { lastSignIn: null, inactive: null };
    return { lastSignIn: toIso(ms), inactive: at - ms >= limit };
  };

  // --- actual: every managed membership, each an item for one reviewer ------------------------
  const owed = new Map<string, ReviewItem[]>(); // reviewer id or SECURITY_REVIEW_FILE -> items
  const give = (reviewer: string, item: ReviewItem) => {
    const list = owed.get(reviewer);
    if (list) list.push(item);
    else owed.set(reviewer, [item]);
  };
  for (const state of [...actual].sort((a, b) => byCodePoint(a.provider, b.provider))) {
    const provider = state.provider as ProviderName;
    const byTarget = new Map<string, Entitlement>();
    for (const e of index.entitlements.values())
      if (e.value.provider === provider) byTarget.set(targetKey(e.value.kind, e.value.target), e.value);
    const users = new Map(state.users.map((u) => [u.login, u as WithSignIn]));
    for (const m of state.memberships) {
      const ent = byTarget.get(targetKey(m.kind, m.target));
      if (!ent) continue;
      for (const login of m.members) {
        const p = byLogin.get(login);
        if (
          p?.status === 'terminated' &&
          ent.onLeave === 'retain' &&
          at < p.endMs! + policy.retention.accountDays * DAY_MS
        )
          continue; // kept on purpose during retention: the leaver control's business
        const user = users.get(login);
        const source = p ? sourceOf(p, ent.id) : ({ kind: 'orphaned' } as const);
        const item: ReviewItem = {
          id: `${p?.id ?? login}/${provider}/${ent.id}`,
          person: p?.id ?? null,
          account: login,
          provider,
          entitlement: ent.id,
          target: ent.target,
          risk: ent.risk,
          source,
          accountEnabled: user ? user.enabled : true,
          ...signIn(user, p),
          exceptionExpiresSoon: source.kind === 'exception' && clock.dayStart(source.expires) <= soonUntil,
          decision: 'pending',
          justification: '',
        };
        give((p && reviewerOf(p)) ?? SECURITY_REVIEW_FILE, item);
      }
    }
  }

  // --- reviewers: the security file's reviewer is a team member not reviewed in it -------------
  const files: ReviewerFileOut[] = [];
  for (const [name, items] of [...owed].sort((a, b) => byCodePoint(a[0], b[0]))) {
    items.sort(
      (a, b) =>
        byCodePoint(a.person ?? `~${a.account}`, b.person ?? `~${b.account}`) ||
        byCodePoint(a.provider, b.provider) ||
        byCodePoint(a.entitlement, b.entitlement) ||
        byCodePoint(a.account, b.account),
    );
    let reviewer = name;
    if (name === SECURITY_REVIEW_FILE) {
      const reviewed = new Set(items.map((i) => i.person));
      const member = policy.teams.security.find(
        (id) => byId.get(id)?.status === 'active' && !reviewed.has(id),
      );
      if (!member) {
        errors.push(
          `nobody can review ${SECURITY_REVIEW_FILE}.yaml: every member of teams.security has left, or is reviewed in it`,
        );
        continue;
      }
      reviewer = member;
    }
    const file: ReviewFile = { quarter, reviewer, items };
    const filePath = `reviews/${quarter}/${name}.yaml`;
    files.push({
      path: filePath,
      name,
      reviewer,
      file,
      text: toPolicyYaml(
        file,
        `${schemaLine('review', 2)}\n ${filePath}: written by jml review start. Set each decision (keep, revoke or dont-know;\n revoke and dont-know need a justification) and change nothing else.`,
      ),
    });
  }
  // The security file sorts with the others by name; reviewers read it as any other.
  const exportJson = exportActual(actual);
  const campaign: ReviewCampaign = {
    quarter,
    startedAt: toIso(at),
    due: dueDate,
    commit: input.commit,
    exportFingerprint: {
      plan: fingerprintActual(actual),
      sha256: createHash('sha256').update(exportJson).digest('hex'),
    },
    scope: [...actual]
      .sort((a, b) => byCodePoint(a.provider, b.provider))
      .map((s) => ({ provider: s.provider as ProviderName, simulated: s.simulated })),
    noResponse: settings.noResponse,
    highRiskNoResponse: settings.highRiskNoResponse,
    inactivityDays: settings.inactivityDays,
    reviewers: files.map((f) => ({ file: f.path, reviewer: f.reviewer, items: f.file.items.length })),
    items: files.reduce((n, f) => n + f.file.items.length, 0),
  };
  const campaignPath = `reviews/${quarter}/campaign.yaml`;
  return {
    campaign,
    campaignPath,
    campaignText: toPolicyYaml(
      campaign,
      `${schemaLine('review-campaign', 2)}\n ${campaignPath}: written by jml review start. The campaign's terms: changed only by the security team.`,
    ),
    files,
    exportJson,
    errors,
  };
}

function roleSource(b: Because): ReviewItem['source'] {
  return {
    kind: 'role',
    id: b.id,
    at: formatRef(b.ref),
    ...(b.listed ? { listed: formatRef(b.listed) } : {}),
  };
}
