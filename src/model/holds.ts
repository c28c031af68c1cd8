/**
 * An offboarding hold: an emergency offboarding (`jml offboard`) that people/ does not record
 * yet. Read from the apply records (src/records/holds.ts), put in force on the index by resolve
 * (src/resolve/holds.ts `withHolds`): the person resolves as a high-risk leaver at `at`.
 */
export interface Hold {
  person: string;
  /** The instant access was cut (UTC ISO). */
  at: string;
  reason: string;
  requestedBy: string;
  pullRequest?: { number: number; url: string };
  /**
   * The person's `employment.start` when the hold was made: a later start in people/ is a new
   * employment (a rehire), which the hold does not keep cut off.
   */
  employmentStart?: string;
  /** The record file it comes from, relative to the records directory. */
  record: string;
}
