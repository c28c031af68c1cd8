/**
 * Leaver timing: for each leaver an apply acted on, when their access was due to end, when each
 * provider confirmed the disable and the session revocation, the lag, and whether the policy's
 * SLA (`sla.leaverMinutes`, `sla.highRiskLeaverMinutes`) held. Pure: the record's change
 * results, the policy and, for terminations that reached the repository after their instant,
 * the time they did (`knownAt`) in; the timings out.
 *
 * The SLA clock starts at the later of the end instant and `knownAt`: a termination merged two
 * days late cannot be applied before it is known, so it is judged from the merge, and marked
 * `backdated` so the evidence shows it. The lag itself is always measured from the end instant,
 * and is never negative: access confirmed cut before the instant (an emergency offboarding, a
 * plan made for a later instant applied now) is a lag of 0, with `confirmedEarlySeconds` saying
 * by how much it came early. The times in are on the run's clock (simulated on a replay,
 * src/apply/replay.ts), so the lag is the engine's own on a replay too.
 */
import { byCodePoint } from '../model/order.js';
import type { Policy } from '../model/schema.js';
import { instantMs, toIso } from '../model/time.js';
import type { ChangeResult, LeaverTiming, ProviderConfirmation } from '../records/schema.js';

const CONFIRMS = new Set(['disableUser', 'revokeSessions']);
const REMOVES = new Set(['revoke', 'openTicket']);
const ok = (c: ChangeResult) => c.status === 'applied' || c.status === 'unchanged';
const later = (a: string | undefined, b: string) => (a === undefined || b > a ? b : a);

/**
 * When the provider confirmed the part of a change that ends access: a leaver's disable may go on
 * with best-effort steps (leave date, devices, mail forwarding) after sign-in is off, and the
 * SLA is about sign-in and sessions. The step's own time when the provider reports it.
 */
/** The step of a disable or session revocation that ends access, when it went through. */
function ownStep(c: ChangeResult) {
  const step =
    c.action === 'disableUser' ? 'disable-sign-in' : c.action === 'revokeSessions' ? 'revoke-sessions' : '';
  return c.steps?.find((s) => s.step === step && (s.status === 'applied' || s.status === 'unchanged'));
}

function stepTime(c: ChangeResult): string {
  const own = ownStep(c);
  // A time outside the change's own span comes from another clock: the change's end is safer.
  return own && own.at >= c.startedAt && own.at <= c.finishedAt ? own.at : c.finishedAt;
}

export function slaMinutesFor(policy: Policy, highRisk: boolean): number {
  return highRisk ? policy.sla.highRiskLeaverMinutes : policy.sla.leaverMinutes;
}

/**
 * The timings of every leaver whose disable or session revocation this record holds. `now` is
 * the end of the run: an unconfirmed leaver past the deadline at `now` is a breach.
 */
export function leaverTimings(
  changes: readonly ChangeResult[],
  policy: Policy,
  now: number,
  knownAt: ReadonlyMap<string, string> = new Map(),
): LeaverTiming[] {
  const byPerson = new Map<string, ChangeResult[]>();
  for (const c of changes) {
    if (c.event.kind !== 'leaver' || c.person === null || !c.event.date) continue;
    const list = byPerson.get(c.person) ?? [];
    list.push(c);
    byPerson.set(c.person, list);
  }
  const out: LeaverTiming[] = [];
  for (const [person, mine] of [...byPerson].sort(([a], [b]) => byCodePoint(a, b))) {
    if (!mine.some((c) => CONFIRMS.has(c.action))) continue;
    const first = mine[0]!;
    const highRisk = Boolean(first.event.highRisk);
    const scheduledMs = instantMs(first.event.date!);
    const known = knownAt.get(person);
    const backdated = known !== undefined && instantMs(known) > scheduledMs;
    const startMs = backdated ? instantMs(known) : scheduledMs;
    const slaMinutes = slaMinutesFor(policy, highRisk);
    const deadlineMs = startMs + slaMinutes * 60_000;

    const providers = new Map<string, ProviderConfirmation>();
    let confirmed: string | undefined;
    let complete = true;
    for (const c of mine) {
      const p = providers.get(c.provider) ?? { provider: c.provider, failed: [] };
      providers.set(c.provider, p);
      // A disable that failed in a later step (a device wipe, a Drive transfer) still ended
      // sign-in when its own step says so: that is the confirmation the SLA is about.
      const own = ownStep(c);
      if (!ok(c)) p.failed.push(c.id);
      if (!ok(c) && !own) {
        if (CONFIRMS.has(c.action)) complete = false;
        continue;
      }
      const at = stepTime(c);
      if (c.action === 'disableUser') p.disabledAt = later(p.disabledAt, at);
      else if (c.action === 'revokeSessions') p.sessionsRevokedAt = later(p.sessionsRevokedAt, at);
      else if (REMOVES.has(c.action)) p.accessRemovedAt = later(p.accessRemovedAt, at);
      if (CONFIRMS.has(c.action)) confirmed = later(confirmed, at);
    }
    const confirmedAt = complete && confirmed !== undefined ? confirmed : null;
    // Negative when access was cut before the instant: that is no lag at all, and said apart.
    const sinceInstant = confirmedAt === null ? null : (instantMs(confirmedAt) - scheduledMs) / 1000;
    const lagSeconds = sinceInstant === null ? null : Math.max(0, sinceInstant);
    let withinSla: boolean | null;
    let breach: string | undefined;
    if (confirmedAt !== null) {
      withinSla = instantMs(confirmedAt) <= deadlineMs;
      if (!withinSla)
        breach = `${person}'s access was confirmed removed at ${confirmedAt}, after the ${slaMinutes}-minute deadline ${toIso(deadlineMs)}`;
    } else if (now > deadlineMs) {
      withinSla = false;
      breach = `${person}'s disable or session revocation failed and the ${slaMinutes}-minute deadline ${toIso(deadlineMs)} has passed`;
    } else withinSla = null;
    out.push({
      person,
      highRisk,
      scheduledAt: toIso(scheduledMs),
      ...(backdated ? { knownAt: toIso(instantMs(known)) } : {}),
      backdated,
      slaMinutes,
      deadline: toIso(deadlineMs),
      providers: [...providers.values()].sort((a, b) => byCodePoint(a.provider, b.provider)),
      confirmedAt,
      lagSeconds,
      ...(sinceInstant !== null && sinceInstant < 0 ? { confirmedEarlySeconds: -sinceInstant } : {}),
      withinSla,
      ...(breach ? { breach } : {}),
    });
  }
  return out;
}
