/**
 * reviews/<quarter>/: the quarter in each file equals its folder's, a reviewer file is named after
 * its reviewer (security.yaml: a security team member) and belongs to the campaign, every person
 * and entitlement exists, no item id appears twice in a file, and nobody reviews their own
 * access. Each problem is an error Diagnostic at the field it is about.
 */
import type { Located } from '../../load/source.js';
import { SECURITY_REVIEW_FILE } from '../../model/schema.js';
import type { Emit } from '../emit.js';
import { refEntitlement, type ValidationRule } from './context.js';
import { stemOf } from './text.js';

const folderOf = (file: string) => file.split('/')[1] ?? '';

function quarterMatches(item: Located<{ quarter: string }>, emit: Emit): void {
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
}

/** A campaign is in its quarter's folder and names reviewers who are people. */
export const reviewCampaigns: ValidationRule = {
  name: 'reviewCampaigns',
  rules: ['review-quarter-mismatch', 'unknown-person'],
  check({ repo, known, emit }) {
    for (const c of repo.reviews.campaigns) {
      quarterMatches(c, emit);
      c.value.reviewers.forEach((r, i) => {
        if (!known.person(r.reviewer))
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
  },
};

/**
 * A reviewer file is in its quarter's folder, named after its reviewer (security.yaml: someone in
 * teams.security) and one of its campaign's files: the reviewer's approval signs its decisions.
 */
export const reviewFileOwners: ValidationRule = {
  name: 'reviewFileOwners',
  rules: ['review-quarter-mismatch', 'unknown-person', 'review-wrong-reviewer', 'review-not-in-campaign'],
  check({ repo, index, known, emit }) {
    const campaigns = new Map(repo.reviews.campaigns.map((c) => [folderOf(c.src.path), c]));
    const security = new Set(index.policy.teams.security);
    for (const f of repo.reviews.files) {
      quarterMatches(f, emit);
      const stem = stemOf(f.src.path);
      const { reviewer } = f.value;
      if (!known.person(reviewer))
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
    }
  },
};

/** Each item is one known entitlement of a known person (or nobody's account), once, not the reviewer's own. */
export const reviewItems: ValidationRule = {
  name: 'reviewItems',
  rules: ['duplicate-id', 'unknown-person', 'review-self', 'unknown-entitlement'],
  check(ctx) {
    const { repo, known, emit } = ctx;
    for (const f of repo.reviews.files) {
      const { reviewer } = f.value;
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
        if (item.person !== null && !known.person(item.person))
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
        refEntitlement(ctx, f, ['items', i, 'entitlement'], item.entitlement, () => 'Correct the id.');
      });
    }
  },
};
