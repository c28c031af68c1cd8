/** What the HR sync tests share: the example's GitHub repository on the fake, and the snapshot. */
import path from 'node:path';
import type { HrRecord } from '../../src/hr/snapshot.js';
import { repoFiles, writeRepoFile } from '../engine/helpers.js';
import { type GitHubHarness, OWNER, REPO } from '../fakes/github/harness.js';
import { baseline } from '../fixtures/hr/northwind.js';

/** The embedded providers' directory files in the example's checkout. */
export const DIRECTORIES = ['.jml/directory.json', '.jml/entra.json', '.jml/google.json', '.jml/okta.json'];

/** GitHub logins of the reviewers these tests meet: managers, HR, security. */
const COLLABORATORS = [
  'tnovak',
  'gracelin-dev',
  'ljensen',
  'mpark-hr',
  'andrethomas',
  'emcbride-sec',
  'saraholm',
];

/** The checkout `dir` as the fake's main branch, with the reviewers as collaborators. */
export function seedGitHub(h: GitHubHarness, dir: string): void {
  h.fake.addBranch(OWNER, REPO, 'main', 'b'.repeat(40), repoFiles(dir));
  for (const login of COLLABORATORS) h.fake.addCollaborator(OWNER, REPO, login);
}

/** An edit of the snapshot: the record of `sourceId` with `over` applied. */
export const change = (sourceId: string, over: Partial<HrRecord>) => (rs: HrRecord[]) =>
  rs.map((r) => (r.sourceId === sourceId ? { ...r, ...over } : r));

/** Writes the baseline snapshot, edited, into the checkout `dir`; returns its path. */
export function writeSnapshot(dir: string, ...edits: ((rs: HrRecord[]) => HrRecord[])[]): string {
  const records = edits.reduce((rs, edit) => edit(rs), baseline());
  writeRepoFile(dir, 'hr/snapshot.jsonl', `${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
  return path.join(dir, 'hr/snapshot.jsonl');
}
