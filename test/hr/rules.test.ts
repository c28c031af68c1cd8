/**
 * The table of classification rules (src/hr/rules/index.ts) over a snapshot that asks for every
 * kind of event: each rule proposes only the kinds it declares, every kind has its rule, and
 * classify is the table run in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../src/hr/classify.js';
import { classifyContext, type RecordView } from '../../src/hr/rules/context.js';
import { RECORD_RULES } from '../../src/hr/rules/index.js';
import { terminationOf } from '../../src/hr/rules/record.js';
import type { HrRecord } from '../../src/hr/snapshot.js';
import type { HrEventKind } from '../../src/hr/types.js';
import { instantMs } from '../../src/model/time.js';
import type { RepoIndex } from '../../src/resolve/repo-index.js';
import { checkRepository } from '../../src/validate/validate.js';
import { cleanTempDirs } from '../engine/helpers.js';
import { baseline, hrExample, NOW, newHire } from '../fixtures/hr/northwind.js';

const KINDS: HrEventKind[] = ['joiner', 'mover', 'leaver', 'rehire', 'cancelled-termination', 'correction'];

let index: RepoIndex;
beforeAll(() => {
  index = checkRepository(hrExample(), NOW).index!;
});
afterAll(cleanTempDirs);

/** The baseline, changed so that it asks for every kind of event. */
function everything(): HrRecord[] {
  const over: Record<string, Partial<HrRecord>> = {
    // alice.nguyen moves to another department; her manager's name is corrected
    'BHR-1019': { department: 'Platform' },
    'BHR-1003': { preferredName: 'Gracie' },
    // kevin.obrien left on 2026-10-30 and comes back; ben.carter's leave is cancelled
    'BHR-1014': { startDate: '2026-12-14', status: 'pre_hire', lastDayOfWork: null, endInstant: null },
    'BHR-1017': { lastDayOfWork: null, endInstant: null, status: 'active' },
  };
  const records = baseline().map((r) => ({ ...r, ...over[r.sourceId] }));
  // Someone still here leaves.
  const leaving = records.find((r) => r.sourceId === 'BHR-1021')!;
  Object.assign(leaving, { status: 'terminated', lastDayOfWork: '2026-12-31' });
  return [...records, newHire()];
}

describe('the HR classification rules table', () => {
  it('names each rule once, and every kind of event has a rule', () => {
    const names = RECORD_RULES.map((r) => r.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    expect(KINDS.filter((k) => !RECORD_RULES.some((r) => r.events.includes(k)))).toEqual([]);
  });

  it('each rule proposes only the kinds of event it declares, and classify is the table in order', () => {
    const records = everything();
    const ctx = classifyContext({ index, records, policy: index.policy, now: NOW });
    const stray: string[] = [];
    const proposed = new Set<string>();
    for (const r of ctx.records) {
      if (ctx.unusable.has(r.sourceId)) continue;
      const located = ctx.byHrId.get(r.sourceId) ?? ctx.rehireOf.get(r.sourceId);
      const view: RecordView = located
        ? {
            r,
            known: {
              located,
              p: located.value,
              text: located.src.text,
              path: located.src.path,
              term: terminationOf(r, ctx.lastDayEndsAt),
              endMs: located.value.employment.end ? instantMs(located.value.employment.end) : undefined,
            },
          }
        : { r };
      for (const rule of RECORD_RULES) {
        const before = ctx.found.events.length;
        const done = rule.check(ctx, view) === 'done';
        for (const e of ctx.found.events.slice(before)) {
          proposed.add(e.event);
          if (!rule.events.includes(e.event)) stray.push(`${r.sourceId}: ${rule.name} proposed ${e.event}`);
        }
        if (done) break;
      }
    }
    expect(stray).toEqual([]);
    expect(KINDS.filter((k) => !proposed.has(k))).toEqual([]);
    const classified = classify({ index, records, policy: index.policy, now: NOW });
    expect(classified.events.map((e) => e.idempotencyKey).sort()).toEqual(
      ctx.found.events.map((e) => e.idempotencyKey).sort(),
    );
  });
});
