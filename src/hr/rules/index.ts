/**
 * The classification rules, in the order each record meets them: a worker not in people/
 * (joiner), a rehire, a termination HR gives without a date, a leaver, a cancelled termination,
 * and a mover or correction. A rule that settles the record ends its turn (`done`).
 */
import type { RecordRule } from './context.js';
import { newWorker } from './joiner.js';
import { cancelledTermination, leaver, unreadableTermination } from './leaver.js';
import { moverOrCorrection } from './mover.js';
import { rehire } from './rehire.js';

export const RECORD_RULES: readonly RecordRule[] = [
  newWorker,
  rehire,
  unreadableTermination,
  leaver,
  cancelledTermination,
  moverOrCorrection,
];
