/**
 * engine: the apply record a GitHub step works from (the manual work it left, the joiners whose
 * accounts it created), with the checkout it belongs to.
 */
import path from 'node:path';
import type { ApplyRecord } from '../records/schema.js';
import { newestRecordFile, readRecordFile } from '../records/store.js';
import type { RepoIndex } from '../resolve/repo-index.js';
import { indexCheckout } from './checkout.js';

/**
 * `file` (a record the user named), else the newest in the records directory of policy/jml.yaml;
 * with the checkout's index. Undefined when there is none; throws when the file is not a valid
 * apply record.
 */
export function recordToWorkFrom(
  root: string,
  file: string | undefined,
): { index: RepoIndex; file: string; record: ApplyRecord } | undefined {
  const index = indexCheckout(path.resolve(root));
  const found = file ? path.resolve(file) : newestRecordFile(path.resolve(root, index.policy.records.dir));
  if (!found) return undefined;
  const read = readRecordFile(found);
  if ('problem' in read) throw new Error(`${found} ${read.problem}`);
  return { index, file: found, record: read.record };
}
