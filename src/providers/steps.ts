/**
 * The leaver checklist as recorded steps (issue 6): what every connector does the same way.
 * A provider that takes several steps in one change (Entra's disable: sign-in, leave date,
 * devices, forwarding) lists them itself; every other leaver change gets the one step its action
 * stands for, from its outcome, here. Steps belong to leavers only: a joiner's or a mover's
 * change never carries any, so the apply record lists the checklist and nothing else.
 */
import type { Policy } from '../model/schema.js';
import type { Change } from '../plan/plan-types.js';
import type { ChangeOutcome, LeaverStep, StepOutcome } from './types.js';

type StepStatus = StepOutcome['status'];

/** A step as confirmed now: `at` is the moment the provider's answer came back (or we gave up). */
export function stepOutcome(
  step: LeaverStep,
  status: StepStatus,
  detail?: string,
  at = new Date(),
): StepOutcome {
  return { step, status, at: at.toISOString(), ...(detail ? { detail } : {}) };
}

/** The step a leaver's change stands for when its provider lists none of its own. */
const ACTION_STEPS: Partial<Record<Change['action'], LeaverStep[]>> = {
  disableUser: ['disable-sign-in'],
  revokeSessions: ['revoke-sessions'],
  revoke: ['remove-access'],
  deleteUser: ['delete-account'],
  openTicket: ['manual-ticket'],
};

/**
 * The outcome with its checklist steps, for a leaver's change only. Steps the provider listed
 * are kept as they are; otherwise the action's own step takes the change's status and detail
 * (`sessionSteps` lets a provider whose one call also ends tokens say so when it failed). An
 * opened ticket is `manual`: a person does the work, and the work issue names who.
 */
export function withLeaverSteps(
  change: Change,
  outcome: ChangeOutcome,
  sessionSteps: readonly LeaverStep[] = ['revoke-sessions'],
): ChangeOutcome {
  if (change.event.kind !== 'leaver') {
    if (!outcome.steps) return outcome;
    const { steps: _dropped, ...rest } = outcome;
    return rest;
  }
  if (outcome.steps?.length) return outcome;
  const names = change.action === 'revokeSessions' ? sessionSteps : ACTION_STEPS[change.action];
  if (!names) return outcome;
  const text = outcome.status === 'failed' ? outcome.error : outcome.detail;
  const status: StepStatus =
    change.action === 'openTicket' && outcome.status === 'applied' ? 'manual' : outcome.status;
  const at = new Date();
  return { ...outcome, steps: names.map((n) => stepOutcome(n, status, text, at)) };
}

/** Retention as policy/jml.yaml says, or its defaults when a connector is built without a policy. */
type Retention = Pick<Policy['retention'], 'accountDays' | 'deleteAccounts'>;
const DEFAULT_RETENTION: Retention = { accountDays: 90, deleteAccounts: false };

/**
 * `mailbox-retention`: the mailbox is kept because the account is disabled, not deleted. It
 * follows the disable's status (nothing else is written for it). `kept` says what the provider
 * does with the mailbox meanwhile.
 */
export function retentionStep(
  disabled: 'applied' | 'unchanged' | 'failed',
  kept: string,
  retention: Retention = DEFAULT_RETENTION,
): StepOutcome {
  const until = retention.deleteAccounts
    ? `deleted only after retention.accountDays (${retention.accountDays} days) and with --allow-delete`
    : `kept past retention.accountDays (${retention.accountDays} days): retention.deleteAccounts is false`;
  if (disabled === 'failed') {
    return stepOutcome(
      'mailbox-retention',
      'failed',
      'the account could not be disabled, so nothing is retained yet',
    );
  }
  return stepOutcome(
    'mailbox-retention',
    disabled,
    `${kept}; the account is disabled, not deleted, and ${until}`,
  );
}
