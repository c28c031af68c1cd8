/**
 * Manual work after an apply, as one GitHub issue per person and app: every ticket the apply
 * opened for an app without SSO (`kind: manual`), and, for each leaver, the steps no API can
 * do (device return, mailbox and file decisions) plus every checklist step a connector recorded
 * as `manual` or `failed` for them, so nobody has to read the record's JSON. Each item is
 * assigned to whoever must act: the app's owner (policy/apps.yaml) for tickets, the IT team for
 * a leaver's steps, through their `github` logins. Pure: the apply record and the repository in, the issues to keep open out.
 */
import { byCodePoint } from '../model/order.js';
import type { StepOutcome } from '../providers/types.js';
import type { ApplyRecord, ChangeResult } from '../records/schema.js';
import type { RepoIndex } from '../resolve/repo-index.js';

export interface WorkItem {
  person: string;
  /** App id, or `offboarding` for a leaver's manual steps. */
  app: string;
  title: string;
  body: string;
  assignees: string[];
  labels: string[];
}

export const WORK_LABELS = ['jml', 'manual-work'];

function githubOf(index: RepoIndex, personId: string | undefined): string | undefined {
  return personId ? index.people.get(personId)?.value.github : undefined;
}

function nameOf(index: RepoIndex, personId: string): string {
  return index.people.get(personId)?.value.name ?? personId;
}

function assigneeNote(assignees: string[], who: string): string {
  return assignees.length > 0
    ? ''
    : `\n\n> No GitHub login is known for ${who}: add \`github:\` to their people file so jml can assign this.`;
}

/** A checklist step a person must still see to: handed over (`manual`) or not done (`failed`). */
interface LeftOverStep extends StepOutcome {
  provider: string;
  entitlement?: string;
}

/** Per leaver, every step of theirs in the record that is `manual` or `failed`, in record order. */
function leftOverSteps(record: ApplyRecord): Map<string, LeftOverStep[]> {
  const out = new Map<string, LeftOverStep[]>();
  for (const c of record.changes) {
    if (c.event.kind !== 'leaver' || !c.person) continue;
    for (const s of c.steps ?? []) {
      if (s.status !== 'manual' && s.status !== 'failed') continue;
      const list = out.get(c.person) ?? [];
      list.push({ ...s, provider: c.provider, ...(c.entitlement ? { entitlement: c.entitlement } : {}) });
      out.set(c.person, list);
    }
  }
  return out;
}

function stepLine(s: LeftOverStep): string {
  const what = `${s.step}${s.entitlement ? ` of ${s.entitlement}` : ''}`;
  return `- [ ] **${s.provider}**: ${what} (${s.status})${s.detail ? `: ${s.detail}` : ''}`;
}

export function workItems(record: ApplyRecord, index: RepoIndex, recordName: string): WorkItem[] {
  const items = new Map<string, WorkItem>();
  const tickets = new Map<string, ChangeResult[]>();
  for (const c of record.changes) {
    if (c.action !== 'openTicket' || c.status !== 'applied' || !c.person || !c.entitlement) continue;
    const ent = index.entitlements.get(c.entitlement)?.value;
    const app = ent?.app ?? c.entitlement;
    const key = `${c.person}\u0000${app}`;
    tickets.set(key, [...(tickets.get(key) ?? []), c]);
  }
  for (const [key, changes] of tickets) {
    const [person, app] = key.split('\u0000') as [string, string];
    const appEntry = index.apps.get(app)?.value;
    const firstEnt = index.entitlements.get(changes[0]!.entitlement!)?.value;
    const ownerId = appEntry?.owner ?? firstEnt?.owner;
    const owner = githubOf(index, ownerId);
    const assignees = owner ? [owner] : [];
    const appName = appEntry?.name ?? app;
    const lines = changes.map((c) => {
      const ent = index.entitlements.get(c.entitlement!)?.value;
      const verb = c.operation === 'revoke' ? 'Remove' : 'Grant';
      return `- [ ] ${verb} **${ent?.title ?? ent?.target ?? c.entitlement}** (${c.entitlement}) for ${c.login}: ${c.event.kind}${c.event.date ? ` on ${c.event.date}` : ''}`;
    });
    const removing = changes.some((c) => c.operation === 'revoke');
    items.set(key, {
      person,
      app,
      title: `${removing ? 'Remove' : 'Grant'} ${appName} access: ${nameOf(index, person)}`,
      body:
        `${appName} has no single sign-on, so this access is changed by hand by its owner` +
        `${ownerId ? ` (${ownerId})` : ''}.\n\n${lines.join('\n')}\n\n` +
        `Tick each box when done, then close this issue. Opened by jml apply (record \`${recordName}\`).` +
        assigneeNote(assignees, ownerId ?? 'the app owner'),
      assignees,
      labels: [...WORK_LABELS, removing ? 'remove-access' : 'grant-access'],
    });
  }
  // A leaver's steps no API can do, once per person whose access this apply removed, and per
  // person a connector left a checklist step for (manual, or failed) even if nothing was removed.
  const leftOver = leftOverSteps(record);
  const leavers = new Set([
    ...record.changes
      .filter(
        (c) => c.event.kind === 'leaver' && c.person && c.status === 'applied' && c.action === 'disableUser',
      )
      .map((c) => c.person!),
    ...leftOver.keys(),
  ]);
  const it = index.policy.teams.it.length > 0 ? index.policy.teams.it : index.policy.teams.security;
  const itLogins = it.map((id) => githubOf(index, id)).filter((l): l is string => Boolean(l));
  for (const person of [...leavers].sort()) {
    const p = index.people.get(person)?.value;
    const manager = p?.manager;
    const forwardTo = index.policy.retention.mailboxForwardTo;
    const steps = leftOver.get(person) ?? [];
    const signInFailed = steps.some((s) => s.step === 'disable-sign-in' && s.status === 'failed');
    items.set(`${person}\u0000offboarding`, {
      person,
      app: 'offboarding',
      title: `Offboarding steps no API can do: ${nameOf(index, person)}`,
      body:
        `${nameOf(index, person)} has left; ${
          signInFailed
            ? 'a sign-in could NOT be disabled (below): run jml apply --confirm again, or jml offboard'
            : 'their accounts are disabled and sessions revoked'
        } (record \`${recordName}\`).\n\n` +
        '- [ ] Collect the laptop, phone, badge and any other equipment\n' +
        `- [ ] Mailbox: forward to ${forwardTo === 'manager' && manager ? `the manager (${manager})` : forwardTo}, per policy/jml.yaml retention\n` +
        `- [ ] Files in apps without SSO: hand over to ${manager ?? 'the manager'}\n` +
        '- [ ] Shared secrets the person knew (vaults, break-glass codes): rotate\n\n' +
        (steps.length > 0
          ? `Left by the connectors (manual, or failed), from the apply record:\n\n${steps.map(stepLine).join('\n')}\n\n`
          : '') +
        'Tick each box when done, then close this issue.' +
        assigneeNote(itLogins, 'the IT team (policy/jml.yaml teams.it)'),
      assignees: itLogins,
      labels: [...WORK_LABELS, 'leaver'],
    });
  }
  return [...items.values()].sort((a, b) => byCodePoint(a.person, b.person) || byCodePoint(a.app, b.app));
}
