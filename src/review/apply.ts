/**
 * review apply: each revoked item of a quarter becomes a change, so git and the providers never
 * disagree. What a revoke does depends on where the access comes from:
 *
 * - an exception: it ends. ONE pull request (branch jml/review/<q>/exceptions) deletes the
 *   exception files; once merged, the normal apply revokes what they granted.
 * - an orphaned grant (held, granted by nothing in git): removed from the provider now, by a plan
 *   of `revoke` changes for exactly those items, applied with the guards (src/apply/apply.ts).
 * - a role: git says the role grants it, so revoking it on the provider alone would be undone by
 *   the next apply. A pull request against the role TEMPLATE that lists the entitlement removes
 *   it, one per template (branch jml/review/<q>/role-<template>), asking its owner to review:
 *   merged, everyone holding the role loses it; if only this person should, the owner closes it
 *   and the person's roles change by a mover pull request instead. jml cannot guess which.
 *
 * Idempotent: an item found in a record of the quarter (`review.items`) is done; an orphaned
 * grant no longer held, an exception file gone, or a template that no longer lists the
 * entitlement has nothing left to do. Pure here; the engine (src/engine/review/remediate.ts) runs it.
 */
import path from 'node:path';
import { parseDocument } from 'yaml';
import { locate } from '../load/source.js';
import { byCodePoint } from '../model/order.js';
import type { ReviewFile, ReviewItem } from '../model/schema.js';
import type { ActualState, TargetRef } from '../model/state.js';
import { targetKey } from '../plan/build-plan.js';
import type { Change } from '../plan/plan-types.js';
import type { ApplyRecord } from '../records/schema.js';
import type { RecordFile } from '../records/store.js';
import type { RepoIndex } from '../resolve/repo-index.js';

/** An item to revoke, with where it was decided. */
export interface Revocation {
  item: ReviewItem;
  /** reviews/<q>/<name>.yaml:line of the item. */
  at: string;
  reviewer: string;
  reason: 'decided' | 'no-response';
}

export interface ExceptionEnd {
  id: string;
  path: string;
  items: Revocation[];
}

export interface TemplateChange {
  role: string;
  owner: string;
  path: string;
  /** The template's new text: the rejected entitlements removed from `entitlements`. */
  text: string;
  entitlements: string[];
  items: Revocation[];
}

export interface Remediation {
  quarter: string;
  changes: Change[];
  /** Items whose change is in `changes`. */
  revoked: Revocation[];
  exceptions: ExceptionEnd[];
  templates: TemplateChange[];
  /** Items with nothing left to do, and why. */
  skipped: { item: ReviewItem; why: string }[];
}

/** The reviewer files of a quarter in the checkout, with each item's line. */
export function reviewFilesOf(
  index: RepoIndex,
  quarter: string,
): { path: string; file: ReviewFile; lineOf: (i: number) => number }[] {
  return index.repo.reviews.files
    .filter((f) => f.value.quarter === quarter && f.src.path.startsWith(`reviews/${quarter}/`))
    .map((f) => ({
      path: f.src.path,
      file: f.value,
      lineOf: (i: number) => locate(f.src, ['items', i]).line,
    }));
}

/** Every item of the quarter the reviewers decided `revoke`. */
export function decidedRevocations(index: RepoIndex, quarter: string): Revocation[] {
  const out: Revocation[] = [];
  for (const f of reviewFilesOf(index, quarter))
    f.file.items.forEach((item, i) => {
      if (item.decision === 'revoke')
        out.push({ item, at: `${f.path}:${f.lineOf(i)}`, reviewer: f.file.reviewer, reason: 'decided' });
    });
  return out;
}

/**
 * The review records of a quarter, oldest first (by file name, which starts with the run's start
 * instant), from what the record store read (src/records/store.ts `readRecords`): the records
 * directory and `restored/` (earlier runs' records, copied from the evidence branch by the
 * workflow). A record found in both counts once.
 */
export function reviewRecords(records: readonly RecordFile[], quarter: string): ApplyRecord[] {
  const named = records
    .map((r) => ({ name: path.posix.basename(r.file), record: r.record }))
    .sort((a, b) => byCodePoint(a.name, b.name));
  const out: ApplyRecord[] = [];
  const seen = new Set<string>();
  for (const { name, record } of named) {
    if (seen.has(name)) continue;
    seen.add(name);
    if (record.review?.quarter === quarter) out.push(record);
  }
  return out;
}

/** Item ids a record of the quarter already settled (revoked, proposed by pull request, or kept). */
export function settledItems(records: readonly ApplyRecord[]): Set<string> {
  const out = new Set<string>();
  for (const r of records) for (const i of r.review?.items ?? []) out.add(i.id);
  return out;
}

/** The id of the change that revokes an item: the one a plan would give it. */
export function revokeChangeId(i: ReviewItem): string {
  return `${i.provider}/${i.account}/${i.provider === 'manual' ? 'openTicket' : 'revoke'}/${i.entitlement}`;
}

/** The change that revokes an item on its provider. */
export function revokeChange(r: Revocation, target: TargetRef): Change {
  const i = r.item;
  const manual = i.provider === 'manual';
  const action = manual ? 'openTicket' : 'revoke';
  return {
    id: revokeChangeId(i),
    action,
    ...(manual ? { operation: 'revoke' as const } : {}),
    provider: i.provider,
    login: i.account,
    person: i.person,
    entitlement: i.entitlement,
    target,
    event: { kind: i.person ? 'update' : 'unknown-account' },
    because: [
      `access review: ${r.reason === 'decided' ? `revoked by ${r.reviewer}` : 'no response by the due date (high-risk: revoke)'} at ${r.at}${i.justification ? `: ${i.justification}` : ''}`,
    ],
  };
}

/** Removes `entitlements` from a role template's `entitlements` list, keeping comments. */
export function withoutEntitlements(text: string, entitlements: readonly string[]): string {
  const doc = parseDocument(text, { version: '1.2' });
  const list = doc.get('entitlements', true) as { items: { value?: unknown }[] } | undefined;
  if (list && Array.isArray(list.items)) {
    list.items = list.items.filter((n) => {
      const v = typeof n === 'object' && n !== null && 'value' in n ? n.value : n;
      return !entitlements.includes(String(v));
    });
  }
  return doc.toString({ lineWidth: 0 });
}

/**
 * What the revocations need: provider changes for orphaned grants (against `actual`), exception
 * files to delete, role templates to change. `settled` items are skipped.
 */
export function planRemediation(
  index: RepoIndex,
  quarter: string,
  revocations: readonly Revocation[],
  actual: readonly ActualState[],
  settled: ReadonlySet<string>,
): Remediation {
  const out: Remediation = { quarter, changes: [], revoked: [], exceptions: [], templates: [], skipped: [] };
  const held = new Set<string>();
  for (const s of actual)
    for (const m of s.memberships)
      for (const login of m.members) held.add(`${s.provider}|${targetKey(m.kind, m.target)}|${login}`);
  const exceptions = new Map<string, ExceptionEnd>();
  const templates = new Map<string, TemplateChange>();
  for (const r of revocations) {
    const { item } = r;
    if (settled.has(item.id)) {
      out.skipped.push({ item, why: 'already done (an earlier record of this quarter)' });
      continue;
    }
    const source = item.source;
    if (source.kind === 'orphaned') {
      const ent = index.entitlements.get(item.entitlement)?.value;
      if (!ent) {
        out.skipped.push({ item, why: `${item.entitlement} is no longer in policy/entitlements.yaml` });
        continue;
      }
      if (!held.has(`${item.provider}|${targetKey(ent.kind, ent.target)}|${item.account}`)) {
        out.skipped.push({
          item,
          why: `${item.account} no longer holds ${item.entitlement} on ${item.provider}`,
        });
        continue;
      }
      const c = revokeChange(r, { kind: ent.kind, target: ent.target });
      if (!out.changes.some((x) => x.id === c.id)) out.changes.push(c);
      out.revoked.push(r);
    } else if (source.kind === 'exception') {
      const file = index.repo.exceptions.find((e) => e.value.id === source.id);
      if (!file) {
        out.skipped.push({ item, why: `exception ${source.id} is already gone from exceptions/` });
        continue;
      }
      const end = exceptions.get(source.id) ?? { id: source.id, path: file.src.path, items: [] };
      end.items.push(r);
      exceptions.set(source.id, end);
    } else {
      const chain = index.expandRole(source.id).get(item.entitlement);
      const template = chain ? index.roles.get(chain[chain.length - 1]!) : undefined;
      if (!template) {
        out.skipped.push({ item, why: `role ${source.id} no longer grants ${item.entitlement}` });
        continue;
      }
      const t = templates.get(template.value.id) ?? {
        role: template.value.id,
        owner: template.value.owner,
        path: template.src.path,
        text: template.src.text,
        entitlements: [],
        items: [],
      };
      if (!t.entitlements.includes(item.entitlement)) t.entitlements.push(item.entitlement);
      t.items.push(r);
      templates.set(template.value.id, t);
    }
  }
  out.exceptions = [...exceptions.values()].sort((a, b) => byCodePoint(a.id, b.id));
  out.templates = [...templates.values()]
    .sort((a, b) => byCodePoint(a.role, b.role))
    .map((t) => ({ ...t, text: withoutEntitlements(t.text, t.entitlements) }));
  return out;
}

/** The body of the pull request that ends exceptions. */
export function exceptionsBody(quarter: string, ends: readonly ExceptionEnd[]): string {
  return [
    `The access review of **${quarter}** revoked access granted by ${ends.length === 1 ? 'an exception' : `${ends.length} exceptions`}: merging this ends ${ends.length === 1 ? 'it' : 'them'}, and the next apply revokes what ${ends.length === 1 ? 'it' : 'they'} granted.`,
    '',
    '| exception | item | decided at | by | justification |',
    '|---|---|---|---|---|',
    ...ends.flatMap((e) =>
      e.items.map(
        (r) =>
          `| ${e.id} (${e.path}) | ${r.item.id} | ${r.at} | ${r.reason === 'decided' ? r.reviewer : 'no response (policy)'} | ${r.item.justification.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`,
      ),
    ),
    '',
    '---',
    'Opened by `jml review apply`.',
  ].join('\n');
}

/** The body of the pull request against a role template. */
export function templateBody(quarter: string, t: TemplateChange, owner: string): string {
  return [
    `**${owner}**, as owner of the role **${t.role}**: the access review of **${quarter}** revoked ${t.entitlements.join(', ')} for people who hold it through this role. This pull request removes ${t.entitlements.length === 1 ? 'it' : 'them'} from ${t.path}, which you decide:`,
    '',
    '- **Merge** if the role should not grant it: everyone holding the role (or a role that includes it) loses it at the next apply.',
    "- **Close** if only these people should lose it: then their roles change instead, by a pull request to their people/ file (a mover, approved by their manager and HR). Until either happens, the review's revoke is not in effect and the report shows it.",
    '',
    '| item | person | decided at | by | justification |',
    '|---|---|---|---|---|',
    ...t.items.map(
      (r) =>
        `| ${r.item.id} | ${r.item.person ?? r.item.account} | ${r.at} | ${r.reason === 'decided' ? r.reviewer : 'no response (policy)'} | ${r.item.justification.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`,
    ),
    '',
    '---',
    'Opened by `jml review apply`.',
  ].join('\n');
}
