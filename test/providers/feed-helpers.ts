/**
 * Shared by the change-feed tests (entra-delta, okta-feed, google-feed) and the drift properties
 * (test/drift/): the environment the loopback fakes need, one harness a test, the state a plan
 * compares, and the connector's feed read as the engine reads it.
 */
import { afterEach, expect } from 'vitest';
import type { ActualState } from '../../src/model/state.js';
import { type FeedRead, hasChangeFeed } from '../../src/providers/change-feed.js';
import type { Provider, Scope } from '../../src/providers/types.js';
import type { ProviderHarness } from '../fakes/harness.js';

/** The fakes listen on 127.0.0.1: a proxy named in the environment would carry the calls away. */
export function clearProxyEnv(): void {
  for (const v of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']) delete process.env[v];
}

/**
 * One harness a test: the function returned keeps the harness it is given, and after the test
 * closes it, failing the test if its fake met a request it does not understand.
 */
export function harnessPerTest<H extends ProviderHarness>(): (h: H) => H {
  let current: H | undefined;
  afterEach(async () => {
    const h = current;
    current = undefined;
    if (!h) return;
    expect(h.server?.unknownRequests).toEqual([]);
    await h.close();
  });
  return (h) => {
    current = h;
    return h;
  };
}

/** The people every feed test's scope manages, with the targets the test names. */
export function feedScope(targets: Scope['targets']): Scope {
  return { logins: new Set(['ada@example.com', 'bob@example.com', 'cy@example.com']), targets };
}

/** What plans use of a state: everything but last sign-ins, which only reviews read. */
export function planned(s: ActualState): ActualState {
  return { ...s, users: s.users.map(({ lastSignIn: _unused, ...u }) => u) };
}

/** The connector's change feed from the saved state (none: the first read), as drift reads it. */
export async function readFeed(provider: Provider, scope: Scope, saved?: unknown): Promise<FeedRead> {
  if (!hasChangeFeed(provider)) throw new Error(`the ${provider.name} connector has no change feed`);
  return provider.readChanges(scope, saved);
}
