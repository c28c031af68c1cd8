/**
 * The property issue 18 asks for, once for every provider with a change feed: whatever an
 * administrator does behind the engine's back, drift computed from the incremental read equals
 * drift computed from a full read. A provider's test gives the example organisation connected to
 * its fake (`connectExample`) and a model of the console's changes; `checkIncrementalEqualsFull`
 * runs random sequences of them and, after every drift run, reads the provider both ways
 * (drift-state.ts through the feed, prepare.ts `readActual` in full) and plans both.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';
import { parseDocument } from 'yaml';
import type { RunClock } from '../../src/apply/leaver-schedule.js';
import type { EngineContext } from '../../src/engine/context.js';
import { type ProviderRead, readForDrift } from '../../src/engine/drift-state.js';
import { type Prepared, planFrom, prepare, readActual } from '../../src/engine/prepare.js';
import type { ActualState } from '../../src/model/state.js';
import { findDrift } from '../../src/plan/drift.js';
import { scopeFor } from '../../src/providers/registry.js';
import { copyExample } from '../engine/helpers.js';
import type { ProviderState } from '../fakes/harness.js';
import { planned } from '../providers/feed-helpers.js';

export interface ConnectedExample {
  dir: string;
  ctx: EngineContext;
  /** Prepared with the one provider only, connected to its fake. */
  p: Prepared;
  /** The organisation's logins in the provider (sorted) and its catalog targets by kind. */
  logins: string[];
  groups: string[];
  licenses: string[];
  apps: string[];
}

/**
 * The example organisation with one provider connected for real to its loopback fake (the others
 * stay embedded), prepared at `at` on the test's clock `now`, whose waits end at once.
 */
export async function connectExample(opts: {
  prefix: string;
  provider: 'entra' | 'okta' | 'google';
  config: object;
  env: Record<string, string>;
  now: () => number;
  at: number;
}): Promise<ConnectedExample> {
  const dir = copyExample(opts.prefix);
  const file = path.join(dir, 'policy/jml.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  doc.setIn(['providers', opts.provider], doc.createNode({ ...opts.config }));
  writeFileSync(file, doc.toString());
  const clock: RunClock = { now: opts.now, sleepUntil: async () => {} };
  const ctx: EngineContext = { clock, env: opts.env };
  const prepared = await prepare(ctx, { root: dir, at: opts.at, only: opts.provider });
  if (!prepared.ok) throw new Error(`prepare refused: ${JSON.stringify(prepared.refusal)}`);
  const p = prepared.prepared;
  const scope = scopeFor(p.index, opts.provider);
  const of = (kind: string) => scope.targets.filter((t) => t.kind === kind).map((t) => t.target);
  return {
    dir,
    ctx,
    p,
    logins: [...scope.logins].sort(),
    groups: of('group'),
    licenses: of('license'),
    apps: of('app'),
  };
}

/** What a provider's property runs against, as its test sets it up. */
export interface DriftRepo<H> {
  h: H;
  /** Prepared with the one provider only, connected to the fake. */
  p: Prepared;
  /** The organisation's logins (sorted) and the provider's managed groups, for random changes. */
  logins: string[];
  groups: string[];
  /** The starting state the fake is seeded with before each sequence. */
  base: ProviderState;
  /** Accounts outside the managed scope. */
  extra: string[];
}

/** Every login an enabled account with no session, named as `name` says. */
export function enabledUsers(logins: string[], name: (local: string) => string): ProviderState['users'] {
  const users: ProviderState['users'] = {};
  for (const l of logins) users[l] = { displayName: name(l.split('@')[0]!), enabled: true, sessions: 0 };
  return users;
}

/** A provider's console, as the property drives it. */
export interface ConsoleModel<Step> {
  /** The prepared repository, its one provider connected to the fake. */
  p: Prepared;
  /** One random step: a change in the console, time passing. */
  step: fc.Arbitrary<Step>;
  /** Sequences always tried, besides the random ones. */
  examples: NoInfer<Step>[][];
  /** Seeds the fake with the starting state and puts the clocks back at their start. */
  reset(): Promise<void>;
  /**
   * Makes the step's change; says whether a drift run follows it. `last`: the sequence's last
   * step, after which one always does.
   */
  apply(step: Step, last: boolean): boolean;
  /** The runner's clock, drift-state's `now`. */
  now(): number;
  /** The prefix of each sequence's drift-state folder. */
  stateDirPrefix: string;
}

type Outcome = { error: string } | { actual: ActualState; drift: unknown };

/** What a plan sees of a read (its state and drift), or the error it stopped with. */
async function attempt(p: Prepared, read: () => Promise<ActualState>): Promise<Outcome> {
  try {
    const actual = await read();
    return { actual: planned(actual), drift: findDrift(planFrom(p, [actual]), p.index.policy.sla) };
  } catch (e) {
    return { error: e instanceof Error ? e.message.split(' (')[0]! : String(e) };
  }
}

/**
 * Runs the property over 40 random sequences of up to ten steps (and the examples), failing on
 * the first drift run whose incremental read plans differently from a full read. Returns how many
 * reads took each path (`incremental`, `full:<reason>`), for the test to show that the runs went
 * through the feed and not only the full read.
 */
export async function checkIncrementalEqualsFull<Step>(m: ConsoleModel<Step>): Promise<Map<string, number>> {
  const modes = new Map<string, number>();
  const count = (r: ProviderRead) => {
    const key = r.mode === 'full' ? `full:${r.reason}` : 'incremental';
    modes.set(key, (modes.get(key) ?? 0) + 1);
  };
  await fc.assert(
    fc.asyncProperty(fc.array(m.step, { minLength: 1, maxLength: 10 }), async (steps) => {
      await m.reset();
      const stateDir = mkdtempSync(path.join(tmpdir(), m.stateDirPrefix));
      const first = await readForDrift(m.p, { dir: stateDir, now: m.now() });
      expect(first.reads[0]).toMatchObject({ mode: 'full', reason: 'no-checkpoint' });
      for (const [i, step] of steps.entries()) {
        const last = i === steps.length - 1;
        if (!m.apply(step, last) && !last) continue;
        let reads: ProviderRead[] = [];
        const incremental = await attempt(m.p, async () => {
          const r = await readForDrift(m.p, { dir: stateDir, now: m.now() });
          reads = r.reads;
          return r.actual[0]!;
        });
        const full = await attempt(m.p, async () => (await readActual(m.p))[0]!);
        reads.forEach(count);
        expect(incremental, `after ${JSON.stringify(step)}`).toEqual(full);
      }
    }),
    { numRuns: 40, examples: m.examples.map((steps) => [steps]) },
  );
  return modes;
}
