/**
 * engine: `jml plan` and `jml drift`, the read-only use cases: prepare, read the providers,
 * plan. A plan is data; the CLI renders it (src/report/render-plan.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type DriftFinding, findDrift } from '../plan/drift.js';
import type { Plan } from '../plan/plan-types.js';
import { renderPlanJson } from '../report/render-plan.js';
import type { EngineContext } from './context.js';
import { type EngineOutcome, type PrepareRequest, planFrom, readActual, withPrepared } from './prepare.js';

export interface PlanRequest extends PrepareRequest {
  /** Also write the plan as JSON to this file, for `jml apply --plan` (jml plan --out). */
  out?: string;
}

export type PlanOutcome = EngineOutcome<{ plan: Plan }>;

/** What apply would change at the instant asked, with the reason for each change. */
export function planRepository(ctx: EngineContext, req: PlanRequest): Promise<PlanOutcome> {
  return withPrepared(ctx, req, async (p) => {
    const plan = planFrom(p, await readActual(p));
    if (req.out) {
      mkdirSync(path.dirname(path.resolve(req.out)), { recursive: true });
      writeFileSync(path.resolve(req.out), renderPlanJson(plan));
    }
    return { plan };
  });
}

/** The plan, and each of its changes as a difference between the providers and the repository. */
export type DriftOutcome = EngineOutcome<{ plan: Plan; findings: DriftFinding[] }>;

/** The differences between the providers and the repository, each explained with its cause. */
export function detectDrift(ctx: EngineContext, req: PrepareRequest): Promise<DriftOutcome> {
  return withPrepared(ctx, req, async (p) => {
    const plan = planFrom(p, await readActual(p));
    return { plan, findings: findDrift(plan, p.index.policy.sla) };
  });
}
