/**
 * Shared by the drift tests: the example organisation with Entra connected for real to a
 * loopback Graph fake (the other providers stay embedded), a clock the test moves, and the fake
 * seeded with the organisation's people and some of their Entra access.
 */
import type { EngineContext } from '../../src/engine/context.js';
import { createEntraHarness, type EntraHarness } from '../fakes/entra/harness.js';
import type { ProviderState } from '../fakes/harness.js';
import { connectExample, type DriftRepo, enabledUsers } from './property.js';

/** Entra behind the Graph fake; its `base`: every person enabled, the first of them in each group and license. */
export interface EntraRepo extends DriftRepo<EntraHarness> {
  dir: string;
  clock: { now: number };
  ctx: EngineContext;
  licenses: string[];
}

export const START = Date.parse('2027-01-04T09:00:00Z');

export async function entraRepo(prefix = 'jml-drift-'): Promise<EntraRepo> {
  const clock = { now: START };
  const h = await createEntraHarness({
    fake: { now: () => clock.now },
    context: { retry: { baseDelayMs: 5, maxDelayMs: 40 } },
  });
  const { dir, ctx, p, logins, groups, licenses } = await connectExample({
    prefix,
    provider: 'entra',
    config: h.config,
    env: { [h.config.oidcTokenEnv]: h.fake.federatedToken },
    now: () => clock.now,
    at: START,
  });
  const users = enabledUsers(logins, (local) => local);
  const targets: ProviderState['targets'] = {};
  for (const [i, t] of [...groups, ...licenses].entries()) {
    const kind = groups.includes(t) ? 'group' : 'license';
    targets[`${kind}:${t}`] = logins.slice(i * 3, i * 3 + 4);
  }
  targets['group:All Staff'] = logins.slice(0, 10);
  const base: ProviderState = { users, targets };
  const extra = ['contractor.one@example.com', 'contractor.two@example.com'];
  await h.seed(base, extra);
  return { dir, h, clock, ctx, p, logins, groups, licenses, base, extra };
}
