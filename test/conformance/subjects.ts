/**
 * The providers the conformance suite runs against. `local` is the embedded directory; the
 * others are the real connectors pointed at their loopback fakes.
 */
import type { Subject } from './subject.js';

export const SUBJECTS: Subject[] = [{ name: 'local' }];
