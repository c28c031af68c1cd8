/**
 * One change, applied idempotently through Graph. Each action is a short program of requests
 * sent through a `Send` (one at a time, or shared `$batch` posts: the program does not know),
 * and its outcome is decided from each answer's own status: "already a member" is unchanged,
 * "not a member" on removal is unchanged, an existing login on create resumes or is unchanged.
 *
 * Secrets: the new user's password is random, sent once and forgotten; the Temporary Access
 * Pass goes from Graph's answer straight into the mail to the manager and nowhere else (not in
 * an outcome, a log line or an error, which are built from status, code and message only).
 */
import type {
  ManagedDevice,
  Message,
  MessageRule,
  TemporaryAccessPassAuthenticationMethod,
  User,
} from '@microsoft/microsoft-graph-types';
import type { EntraConnection, Policy } from '../../model/schema.js';
import type { Change } from '../../plan/plan-types.js';
import { targetNotFound, throwawayPassword } from '../common.js';
import { retentionStep, stepOutcome, withLeaverSteps } from '../steps.js';
import type { ChangeOutcome, StepOutcome } from '../types.js';
import {
  describeError,
  describeResult,
  type GraphCall,
  type GraphConnection,
  type GraphResult,
  isOk,
  type ODataError,
  type Send,
} from './graph.js';
import {
  type DirectoryIndex,
  groupKey,
  listSkus,
  odataString,
  toUserRef,
  type UserRef,
} from './read-state.js';

/** A Graph answer that ends the change as failed; its text names no credential. */
class ChangeFailed extends Error {}

/** A device with a retire or wipe already on its way (a re-apply sends none). */
function alreadyHandled(d: ManagedDevice): boolean {
  return (d.deviceActionResults ?? []).some(
    (a) =>
      (a.actionName === 'retire' || a.actionName === 'wipe') &&
      (a.actionState === 'pending' || a.actionState === 'active' || a.actionState === 'done'),
  );
}

export interface ChangeContext {
  config: EntraConnection;
  graph: GraphConnection;
  index: DirectoryIndex;
  send: Send;
  /** policy/jml.yaml retention, for the leaver's mailbox-retention step (defaults without a policy). */
  retention?: Pick<Policy['retention'], 'accountDays' | 'deleteAccounts'>;
  /** Lookups in flight, so that twenty grants to one unknown group look it up once. */
  lookups: Map<string, Promise<unknown>>;
}

function lookupOnce<T>(ctx: ChangeContext, key: string, lookup: () => Promise<T>): Promise<T> {
  let pending = ctx.lookups.get(key) as Promise<T> | undefined;
  if (!pending) {
    pending = lookup().finally(() => ctx.lookups.delete(key));
    ctx.lookups.set(key, pending);
  }
  return pending;
}

/** Applies one change; an ordinary API error is a failed outcome, never an exception. */
export async function applyChange(ctx: ChangeContext, change: Change): Promise<ChangeOutcome> {
  let outcome: ChangeOutcome;
  try {
    outcome = await runChange(ctx, change);
  } catch (e) {
    const target = change.target ? ` (${change.target.kind} ${change.target.target})` : '';
    outcome = {
      status: 'failed',
      error: `entra: ${change.action} ${change.login}${target} failed: ${describeError(e)}`,
    };
  }
  // revokeSignInSessions ends the refresh tokens too: a failed one failed both.
  return withLeaverSteps(change, outcome, ['revoke-sessions', 'revoke-tokens']);
}

function runChange(ctx: ChangeContext, c: Change): Promise<ChangeOutcome> {
  switch (c.action) {
    case 'createUser':
      return createUser(ctx, c);
    case 'enableUser':
      return setEnabled(ctx, c, true);
    case 'disableUser':
      return setEnabled(ctx, c, false);
    case 'revokeSessions':
      return revokeSessions(ctx, c);
    case 'grant':
    case 'revoke':
      return c.target?.kind === 'license' ? changeLicense(ctx, c) : changeGroup(ctx, c);
    case 'deleteUser':
      return deleteUser(ctx, c);
    case 'openTicket':
      return Promise.resolve({ status: 'failed', error: 'entra: tickets are for the manual provider' });
  }
}

// --- lookups: the last read's ids first, Graph only for what it did not see ---------------------

async function findUser(ctx: ChangeContext, login: string, fresh = false): Promise<UserRef | undefined> {
  const known = ctx.index.users.get(login);
  if (known && !fresh) return known;
  return lookupOnce(ctx, `user:${login}`, () => lookUpUser(ctx, login));
}

async function lookUpUser(ctx: ChangeContext, login: string): Promise<UserRef | undefined> {
  const r = await ctx.send({
    method: 'GET',
    url: `/users/${encodeURIComponent(login)}?$select=id,userPrincipalName,accountEnabled,assignedLicenses`,
  });
  if (r.status === 404) return undefined;
  if (!isOk(r)) throw new ChangeFailed(`looking up the user: ${describeResult(r)}`);
  const ref = toUserRef(r.body as User);
  ctx.index.users.set(login, ref);
  return ref;
}

async function requireUser(ctx: ChangeContext, login: string): Promise<UserRef> {
  const user = await findUser(ctx, login);
  if (!user) throw new ChangeFailed(`no account ${login} on entra`);
  return user;
}

/** Graph compares display names case-insensitively, and so does the index. */
async function findGroup(ctx: ChangeContext, name: string): Promise<string | undefined> {
  const key = groupKey(name);
  return ctx.index.groups.get(key) ?? lookupOnce(ctx, `group:${key}`, () => lookUpGroup(ctx, name));
}

async function lookUpGroup(ctx: ChangeContext, name: string): Promise<string | undefined> {
  const filter = encodeURIComponent(`displayName eq ${odataString(name)}`);
  const r = await ctx.send({ method: 'GET', url: `/groups?$select=id,displayName&$filter=${filter}` });
  if (!isOk(r)) throw new ChangeFailed(`looking up the group: ${describeResult(r)}`);
  const found = (r.body as { value?: { id?: string }[] }).value ?? [];
  if (found.length > 1) throw new ChangeFailed(`${found.length} groups are named "${name}" on entra`);
  if (found[0]?.id) ctx.index.groups.set(groupKey(name), found[0].id);
  return found[0]?.id;
}

async function findSku(ctx: ChangeContext, partNumber: string): Promise<string | undefined> {
  ctx.index.skus ??= await lookupOnce(ctx, 'skus', () => listSkus(ctx.graph));
  return ctx.index.skus.get(partNumber);
}

function missingTarget(kind: string, name: string): ChangeFailed {
  return new ChangeFailed(targetNotFound('entra', kind, name));
}

function expectOk(r: GraphResult, what: string): void {
  if (!isOk(r)) throw new ChangeFailed(`${what}: ${describeResult(r)}`);
}

/** Graph's date-time properties want a UTC instant; a plan's event date is a day or a zoned instant. */
function instant(date: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(date)) return `${date}T00:00:00Z`;
  const at = new Date(date);
  return Number.isNaN(at.getTime()) ? date : at.toISOString().replace(/\.000Z$/, 'Z');
}

function errorText(r: GraphResult): string {
  const e = (r.body as ODataError | undefined)?.error;
  return `${e?.code ?? ''} ${e?.message ?? ''}`;
}

// --- createUser ------------------------------------------------------------------------------------

/** Graph's mailNickname: no spaces or @; the local part of the login, cleaned. */
function mailNickname(login: string): string {
  return (login.split('@')[0] ?? login).replace(/[^A-Za-z0-9._-]/g, '').slice(0, 64) || 'user';
}

/**
 * Create (disabled) -> hire date -> Temporary Access Pass -> mail it to the manager -> enable.
 * Step by step, not `dependsOn`: each step needs the answer of the one before (the new id, the
 * pass). The account stays disabled until the pass is on its way, so a failure half-way leaves a
 * disabled account, and a re-apply finds it ("already exists", still disabled) and finishes the
 * job with a new pass (which replaces any pass an unanswered request may have created).
 */
async function createUser(ctx: ChangeContext, c: Change): Promise<ChangeOutcome> {
  const body: User = {
    accountEnabled: false,
    displayName: c.displayName ?? c.login,
    mailNickname: mailNickname(c.login),
    userPrincipalName: c.login,
    passwordProfile: { password: throwawayPassword(), forceChangePasswordNextSignIn: true },
    ...(ctx.config.usageLocation ? { usageLocation: ctx.config.usageLocation } : {}),
  };
  // Repeating it is safe: a second create answers "already exists", handled below.
  const r = await ctx.send({ method: 'POST', url: '/users', body, idempotent: true });
  let user: UserRef;
  if (isOk(r)) {
    user = toUserRef(r.body as User);
    ctx.index.users.set(c.login, user);
  } else if (r.status === 400 && /ObjectConflict|already exists/i.test(errorText(r))) {
    const existing = await findUser(ctx, c.login, true);
    if (!existing) throw new ChangeFailed(`creating the account: ${describeResult(r)}`);
    if (existing.enabled) return { status: 'unchanged', detail: 'account exists' };
    user = existing; // an earlier apply stopped before enabling it: finish it
  } else throw new ChangeFailed(`creating the account: ${describeResult(r)}`);

  const hired = c.event.date
    ? await bestEffort(ctx, 'hire date', {
        method: 'PATCH',
        url: `/users/${user.id}`,
        body: { employeeHireDate: instant(c.event.date) } satisfies User,
      })
    : undefined;
  const credential = await deliverFirstCredential(ctx, c, user);
  expectOk(
    await ctx.send({
      method: 'PATCH',
      url: `/users/${user.id}`,
      body: { accountEnabled: true } satisfies User,
    }),
    'enabling the new account',
  );
  user.enabled = true;
  return { status: 'applied', detail: details(credential, hired) };
}

/**
 * A property the change can do without (the hire or leave date needs User-LifeCycleInfo.ReadWrite.All,
 * which a tenant may not grant): set it if Graph lets us; otherwise say why in the outcome.
 */
async function bestEffort(ctx: ChangeContext, what: string, call: GraphCall): Promise<string | undefined> {
  try {
    const r = await ctx.send(call);
    if (isOk(r)) return undefined;
    const hint =
      r.status === 403 ? ' (the app needs the User-LifeCycleInfo.ReadWrite.All application permission)' : '';
    return `${what} not recorded: ${describeResult(r)}${hint}`;
  } catch (e) {
    return `${what} not recorded: ${describeError(e)}`;
  }
}

function details(...parts: (string | undefined)[]): string {
  return parts.filter(Boolean).join('; ');
}

/**
 * Mails a Temporary Access Pass to the manager through Exchange Online; returns the outcome text.
 * Neither request is safe to repeat (a second pass replaces the mailed one; a second mail is a
 * second mail): when one fails with its outcome unknown the change fails, the account stays
 * disabled, and the next apply issues a fresh pass and mails that one.
 */
async function deliverFirstCredential(ctx: ChangeContext, c: Change, user: UserRef): Promise<string> {
  const tap = ctx.config.temporaryAccessPass;
  if (!tap) return 'no Temporary Access Pass configured: first credential through the service desk';
  if (!c.manager) return 'no manager: first credential through the service desk';
  const created = await sendOnce(ctx, 'creating the Temporary Access Pass (the account stays disabled)', {
    method: 'POST',
    url: `/users/${user.id}/authentication/temporaryAccessPassMethods`,
    body: { lifetimeInMinutes: tap.lifetimeMinutes, isUsableOnce: true },
    idempotent: false,
  });
  const pass = (created.body as TemporaryAccessPassAuthenticationMethod).temporaryAccessPass;
  if (!pass) throw new ChangeFailed('creating the Temporary Access Pass: Graph returned no pass');
  const message: Message = {
    subject: `First sign-in for ${c.displayName ?? c.login}`,
    body: {
      contentType: 'text',
      content:
        `${c.displayName ?? c.login} (${c.login}) can sign in for the first time with this Temporary Access Pass, ` +
        `usable once within ${tap.lifetimeMinutes} minutes:\n\n${pass}\n\n` +
        'Please hand it over in person or by phone, and do not forward this mail.',
    },
    toRecipients: [{ emailAddress: { address: c.manager } }],
  };
  // saveToSentItems false: the pass must not stay in the sending mailbox.
  await sendOnce(ctx, `mailing the Temporary Access Pass to ${c.manager} (the account stays disabled)`, {
    method: 'POST',
    url: `/users/${encodeURIComponent(tap.sendFrom)}/sendMail`,
    body: { message, saveToSentItems: false },
    idempotent: false,
  });
  return `Temporary Access Pass mailed to manager ${c.manager}`;
}

/** Sends a call that is not safe to repeat; any failure, answered or not, fails the change as `what`. */
async function sendOnce(ctx: ChangeContext, what: string, call: GraphCall): Promise<GraphResult> {
  let r: GraphResult;
  try {
    r = await ctx.send(call);
  } catch (e) {
    throw new ChangeFailed(`${what}: ${describeError(e)}`);
  }
  expectOk(r, what);
  return r;
}

// --- enable / disable ------------------------------------------------------------------------------

/**
 * PATCH accountEnabled alone (always sent: it is idempotent and the last read may be old); the
 * outcome says unchanged when the account already was in that state. A leaver's disable goes on
 * through the checklist (`leaverSteps`); only the sign-in and the devices decide the change.
 */
async function setEnabled(ctx: ChangeContext, c: Change, enabled: boolean): Promise<ChangeOutcome> {
  const user = await requireUser(ctx, c.login);
  expectOk(
    await ctx.send({
      method: 'PATCH',
      url: `/users/${user.id}`,
      body: { accountEnabled: enabled } satisfies User,
    }),
    'updating accountEnabled',
  );
  const changed = user.enabled !== enabled;
  user.enabled = enabled;
  if (enabled || c.event.kind !== 'leaver') return { status: changed ? 'applied' : 'unchanged' };
  return leaverSteps(ctx, c, user, changed);
}

/**
 * After the sign-in is off: the leave date (best effort: the disable must not wait on an optional
 * permission), the Intune devices, and the mailbox forwarded to the manager (best effort too: a
 * failed rule is a failed step, never an undone disable). The three are independent, so they go
 * out together. A device that could not be retired or wiped still fails the change, as before:
 * a device left enrolled is access left.
 */
async function leaverSteps(
  ctx: ChangeContext,
  c: Change,
  user: UserRef,
  changed: boolean,
): Promise<ChangeOutcome> {
  const signIn = stepOutcome(
    'disable-sign-in',
    changed ? 'applied' : 'unchanged',
    changed ? 'sign-in blocked (accountEnabled false)' : 'sign-in was already blocked',
  );
  const [left, devices, forwarding] = await Promise.all([
    recordLeaveDate(ctx, c, user),
    deviceStep(ctx, user),
    forwardMailbox(ctx, c, user),
  ]);
  const retention = retentionStep(
    signIn.status === 'applied' ? 'applied' : 'unchanged',
    'the mailbox is kept and still receives mail (while the account holds an Exchange Online license)',
    ctx.retention,
  );
  const steps = [signIn, left.step, devices.step, forwarding, retention];
  if (devices.error) {
    return { status: 'failed', error: `entra: ${c.action} ${c.login} failed: ${devices.error}`, steps };
  }
  const detail = details(left.note, devices.text);
  return {
    status: changed || devices.acted ? 'applied' : 'unchanged',
    ...(detail ? { detail } : {}),
    steps,
  };
}

async function recordLeaveDate(
  ctx: ChangeContext,
  c: Change,
  user: UserRef,
): Promise<{ step: StepOutcome; note?: string }> {
  if (!c.event.date) return { step: stepOutcome('leave-date', 'skipped', 'the plan gives no leave date') };
  const when = instant(c.event.date);
  const note = await bestEffort(ctx, 'leave date', {
    method: 'PATCH',
    url: `/users/${user.id}`,
    body: { employeeLeaveDateTime: when } satisfies User,
  });
  return note
    ? { step: stepOutcome('leave-date', 'failed', note), note }
    : { step: stepOutcome('leave-date', 'applied', `employeeLeaveDateTime set to ${when}`) };
}

/** handleDevices as a step: `skipped` when there is nothing to retire or policy says none. */
async function deviceStep(
  ctx: ChangeContext,
  user: UserRef,
): Promise<{ step: StepOutcome; acted: boolean; text?: string; error?: string }> {
  try {
    const devices = await handleDevices(ctx, user);
    const status = devices.acted ? 'applied' : 'skipped';
    return { step: stepOutcome('wipe-devices', status, devices.text), ...devices };
  } catch (e) {
    const error = e instanceof ChangeFailed ? e.message : `devices: ${describeError(e)}`;
    return { step: stepOutcome('wipe-devices', 'failed', error), acted: false, error };
  }
}

/**
 * Retires every managed device of a leaver, or wipes company-owned ones when policy says wipe.
 * A device with a retire or wipe already on its way is skipped (a re-apply sends none). Each
 * action is sent once (a second wipe is not harmless); one failing does not stop the others,
 * and the error counts what happened to each.
 */
async function handleDevices(ctx: ChangeContext, user: UserRef): Promise<{ acted: boolean; text: string }> {
  const mode = ctx.config.devicesOnLeave;
  if (mode === 'none') return { acted: false, text: 'devices left alone (devicesOnLeave: none)' };
  const list = await ctx.send({
    method: 'GET',
    url: `/users/${user.id}/managedDevices?$select=id,managedDeviceOwnerType,deviceActionResults`,
  });
  expectOk(list, 'listing managed devices');
  const devices = ((list.body as { value?: ManagedDevice[] }).value ?? []).filter((d) => !alreadyHandled(d));
  const results = await Promise.allSettled(
    devices.map(async (d) => {
      // Personal devices are only ever retired: a wipe would erase someone's own phone.
      const action = mode === 'wipe' && d.managedDeviceOwnerType === 'company' ? 'wipe' : 'retire';
      await sendOnce(ctx, `${action === 'wipe' ? 'wiping' : 'retiring'} device ${d.id}`, {
        method: 'POST',
        url: `/deviceManagement/managedDevices/${d.id}/${action}`,
        ...(action === 'wipe' ? { body: { keepEnrollmentData: false, keepUserData: false } } : {}),
        idempotent: false,
      });
      return action;
    }),
  );
  const wiped = results.filter((r) => r.status === 'fulfilled' && r.value === 'wipe').length;
  const retired = results.filter((r) => r.status === 'fulfilled' && r.value === 'retire').length;
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [describeError(r.reason)] : []));
  if (failed.length > 0) {
    throw new ChangeFailed(
      `devices: ${wiped} wiped, ${retired} retired, ${failed.length} failed (${failed.join('; ')}); the account is disabled`,
    );
  }
  const acted = wiped + retired > 0;
  const text = acted
    ? `devices: ${[wiped ? `${wiped} wiped` : '', retired ? `${retired} retired` : ''].filter(Boolean).join(', ')}`
    : 'no managed devices to retire';
  return { acted, text };
}

// --- mailbox forwarding ----------------------------------------------------------------------------

/** Our inbox rule, found again by this name on every apply (so it is made once, and mended in place). */
export const FORWARD_RULE_NAME = 'jml: forward to manager (leaver)';

/**
 * Forwards the leaver's incoming mail to their manager (policy retention.mailboxForwardTo) with an
 * inbox rule: Exchange Online keeps delivering to a disabled account's mailbox, and the rule runs
 * server-side without anyone signing in. Idempotent: the rules are listed first and ours (by
 * FORWARD_RULE_NAME) is left alone when it already forwards to the manager, or pointed at the
 * manager when it does not. Best effort: every failure becomes a failed step, never an exception.
 */
async function forwardMailbox(ctx: ChangeContext, c: Change, user: UserRef): Promise<StepOutcome> {
  if (!c.manager) {
    return stepOutcome('mailbox-forwarding', 'skipped', 'no manager of record to forward the mail to');
  }
  const rules = `/users/${user.id}/mailFolders/inbox/messageRules`;
  try {
    const list = await ctx.send({ method: 'GET', url: rules });
    if (!isOk(list)) return forwardingFailed(list, 'listing the inbox rules');
    const ours = ((list.body as { value?: MessageRule[] }).value ?? []).find(
      (r) => r.displayName === FORWARD_RULE_NAME,
    );
    const forwardsTo = (ours?.actions?.forwardTo ?? []).map((r) => r.emailAddress?.address?.toLowerCase());
    if (ours?.isEnabled && forwardsTo.length === 1 && forwardsTo[0] === c.manager.toLowerCase()) {
      return stepOutcome('mailbox-forwarding', 'unchanged', `inbox rule already forwards to ${c.manager}`);
    }
    const rule: MessageRule = {
      displayName: FORWARD_RULE_NAME,
      sequence: 1,
      isEnabled: true,
      actions: { forwardTo: [{ emailAddress: { address: c.manager } }], stopProcessingRules: false },
    };
    // A create whose answer is lost is not repeated: the next apply lists the rules and finds it.
    const r = ours?.id
      ? await ctx.send({ method: 'PATCH', url: `${rules}/${encodeURIComponent(ours.id)}`, body: rule })
      : await ctx.send({ method: 'POST', url: rules, body: rule, idempotent: false });
    if (!isOk(r)) return forwardingFailed(r, ours ? 'updating the inbox rule' : 'creating the inbox rule');
    return stepOutcome(
      'mailbox-forwarding',
      'applied',
      `inbox rule "${FORWARD_RULE_NAME}" ${ours ? 'now forwards' : 'forwards'} incoming mail to ${c.manager}`,
    );
  } catch (e) {
    return stepOutcome(
      'mailbox-forwarding',
      'failed',
      `forwarding to ${c.manager} not set: ${describeError(e)}; set it in the Exchange admin center`,
    );
  }
}

function forwardingFailed(r: GraphResult, what: string): StepOutcome {
  const code = (r.body as ODataError | undefined)?.error?.code ?? '';
  const hint =
    r.status === 403
      ? ' (the app needs the MailboxSettings.ReadWrite application permission)'
      : /MailboxNotEnabledForRESTAPI|MailboxNotFound|ResourceNotFound/i.test(code)
        ? ' (Graph cannot reach this mailbox: none in Exchange Online, or it is on-premises)'
        : '';
  return stepOutcome(
    'mailbox-forwarding',
    'failed',
    `${what}: ${describeResult(r)}${hint}; forward the mail by hand in the Exchange admin center`,
  );
}

// --- sessions, groups, licenses, delete --------------------------------------------------------------

/**
 * Graph cannot tell whether sessions were live, so every revoke is applied (and harmless twice).
 * revokeSignInSessions also invalidates every refresh token issued to the user's apps; an access
 * token already issued lives until it expires (about an hour), which the step says.
 */
async function revokeSessions(ctx: ChangeContext, c: Change): Promise<ChangeOutcome> {
  const user = await requireUser(ctx, c.login);
  expectOk(
    await ctx.send({ method: 'POST', url: `/users/${user.id}/revokeSignInSessions`, idempotent: true }),
    'revoking sign-in sessions',
  );
  if (c.event.kind !== 'leaver') return { status: 'applied' };
  const at = new Date();
  return {
    status: 'applied',
    steps: [
      stepOutcome('revoke-sessions', 'applied', 'sign-in sessions revoked (revokeSignInSessions)', at),
      stepOutcome(
        'revoke-tokens',
        'applied',
        'revokeSignInSessions invalidated every refresh token and browser session cookie; access tokens already issued expire within about an hour',
        at,
      ),
    ],
  };
}

async function changeGroup(ctx: ChangeContext, c: Change): Promise<ChangeOutcome> {
  const grant = c.action === 'grant';
  const name = c.target!.target;
  if (c.target!.kind !== 'group') {
    throw new ChangeFailed(
      `${c.target!.kind} targets are not managed on entra; assign the enterprise application to a group and grant the group`,
    );
  }
  // Both lookups at once: in a batch they share one post instead of taking two rounds.
  const [user, groupId] = await Promise.all([
    grant ? requireUser(ctx, c.login) : findUser(ctx, c.login),
    findGroup(ctx, name),
  ]);
  if (!user) return { status: 'unchanged', detail: 'no such account' };
  if (!groupId) {
    if (grant) throw missingTarget('group', name);
    return { status: 'unchanged', detail: `group ${name} does not exist` };
  }
  const r = grant
    ? await ctx.send({
        method: 'POST',
        url: `/groups/${groupId}/members/$ref`,
        body: { '@odata.id': ctx.graph.directoryObjectRef(user.id) },
        // A second add answers "already exist", which is recognised below.
        idempotent: true,
      })
    : await ctx.send({ method: 'DELETE', url: `/groups/${groupId}/members/${user.id}/$ref` });
  if (isOk(r)) return { status: 'applied' };
  // Graph's "One or more added object references already exist": the member is there already.
  if (grant && r.status === 400 && /already exist/i.test(errorText(r))) return { status: 'unchanged' };
  if (!grant && r.status === 404) return { status: 'unchanged' };
  throw new ChangeFailed(`${grant ? 'adding to' : 'removing from'} group ${name}: ${describeResult(r)}`);
}

async function changeLicense(ctx: ChangeContext, c: Change): Promise<ChangeOutcome> {
  const grant = c.action === 'grant';
  const part = c.target!.target;
  const [user, skuId] = await Promise.all([
    grant ? requireUser(ctx, c.login) : findUser(ctx, c.login),
    findSku(ctx, part),
  ]);
  if (!user) return { status: 'unchanged', detail: 'no such account' };
  if (!skuId) {
    if (grant) throw missingTarget('license', part);
    return { status: 'unchanged', detail: `license ${part} is not subscribed` };
  }
  if (user.skuIds.has(skuId) === grant) return { status: 'unchanged' };
  const body = grant
    ? { addLicenses: [{ skuId, disabledPlans: [] }], removeLicenses: [] }
    : { addLicenses: [], removeLicenses: [skuId] };
  // Safe to repeat: a second add is a no-op, a second removal answers "does not have" (below).
  const r = await ctx.send({
    method: 'POST',
    url: `/users/${user.id}/assignLicense`,
    body,
    idempotent: true,
  });
  if (grant && r.status === 400 && /usage location/i.test(errorText(r))) {
    throw new ChangeFailed(
      `assigning license ${part}: ${describeResult(r)}; set the account's usageLocation (a two-letter country code) in Entra, ` +
        'and set usageLocation under providers.entra in policy/jml.yaml so that new accounts get one',
    );
  }
  if (!grant && r.status === 400 && /does not have a corresponding license/i.test(errorText(r))) {
    user.skuIds.delete(skuId);
    return { status: 'unchanged' };
  }
  expectOk(r, `${grant ? 'assigning' : 'removing'} license ${part}`);
  if (grant) user.skuIds.add(skuId);
  else user.skuIds.delete(skuId);
  return { status: 'applied' };
}

async function deleteUser(ctx: ChangeContext, c: Change): Promise<ChangeOutcome> {
  const user = await findUser(ctx, c.login);
  if (!user) return { status: 'unchanged', detail: 'already deleted' };
  const r = await ctx.send({ method: 'DELETE', url: `/users/${user.id}` });
  ctx.index.users.delete(c.login);
  if (r.status === 404) return { status: 'unchanged', detail: 'already deleted' };
  expectOk(r, 'deleting the account');
  return { status: 'applied' };
}
