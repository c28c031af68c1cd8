/**
 * The exception files whose `expires` date has passed: what the scheduled clean-up proposes to
 * delete. The rule is the validator's `exception-expired`: an exception ends at the start of its
 * `expires` date in the organisation's time zone (`clock.dayStart(expires) <= at`), so the two
 * never disagree about which files are stale. Pure: a RepoIndex and an instant in, a list out.
 */
import { formatRef, refOf } from '../load/source.js';
import { byCodePoint } from '../model/order.js';
import type { RepoIndex } from '../resolve/repo-index.js';

export interface ExpiredException {
  id: string;
  /** Repository-relative path of the file (exceptions/<id>.yaml). */
  path: string;
  /** `exceptions/<id>.yaml:line` of the `expires` value. */
  where: string;
  person: string;
  /** The person's display name, when the person file exists. */
  personName?: string;
  entitlements: string[];
  /** The calendar date (org time zone) the access ended at the start of. */
  expires: string;
}

/** True when the exception no longer grants anything at `at` (the validator's rule). */
export function hasExpired(index: RepoIndex, expires: string, at: number): boolean {
  return index.clock.dayStart(expires) <= at;
}

/** Every exception that has expired at `at`, oldest expiry first, then by id. */
export function expiredExceptions(index: RepoIndex, at: number): ExpiredException[] {
  const out: ExpiredException[] = [];
  for (const e of index.repo.exceptions) {
    const x = e.value;
    if (!hasExpired(index, x.expires, at)) continue;
    const name = index.people.get(x.person)?.value.name;
    out.push({
      id: x.id,
      path: e.src.path,
      where: formatRef(refOf(e, ['expires'])),
      person: x.person,
      ...(name ? { personName: name } : {}),
      entitlements: [...x.entitlements],
      expires: x.expires,
    });
  }
  return out.sort((a, b) => byCodePoint(a.expires, b.expires) || byCodePoint(a.id, b.id));
}

/** The pull request body listing what is removed and why. */
export function expiredExceptionsMarkdown(items: ExpiredException[], zone: string): string {
  const lines = [
    `These exceptions have expired (their \`expires\` date has begun in ${zone}); they no longer grant anything. Merging this pull request deletes their files.`,
    '',
    '| Exception | Person | Entitlements | Expired on | File |',
    '| --- | --- | --- | --- | --- |',
    ...items.map(
      (x) =>
        `| ${x.id} | ${cell(x.personName ? `${x.personName} (${x.person})` : x.person)} | ${x.entitlements.join(', ')} | ${x.expires} | \`${x.where}\` |`,
    ),
    '',
    'To keep any of this access, close this pull request and renew the exception with a new expiry in its own pull request, approved again.',
  ];
  return `${lines.join('\n')}\n`;
}

/** Text safe inside a markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
