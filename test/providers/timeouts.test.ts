/**
 * A server that applies a write and then goes silent: each connector abandons the request after
 * its timeout, retries it, and the idempotent retry ends in the right state, reported as done.
 * Run against every vendor fake through the real connector.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Change } from '../../src/plan/plan-types.js';
import type { RetryOptions } from '../../src/providers/retry.js';
import { createEntraHarness } from '../fakes/entra/harness.js';
import type { Fault } from '../fakes/fake-server.js';
import { createGoogleHarness } from '../fakes/google/harness.js';
import type { ProviderHarness } from '../fakes/harness.js';
import { createOktaHarness } from '../fakes/okta/index.js';

const RETRY: Partial<RetryOptions> = { requestTimeoutMs: 300, baseDelayMs: 5, maxDelayMs: 20 };

const CASES: {
  name: 'entra' | 'okta' | 'google';
  start: () => Promise<ProviderHarness>;
  group: string;
  write: Pick<Fault, 'method' | 'path'>;
}[] = [
  {
    name: 'entra',
    start: () => createEntraHarness({ context: { retry: RETRY } }),
    group: 'Engineering',
    write: { method: 'POST', path: /\$batch|members\/\$ref/ },
  },
  {
    name: 'okta',
    start: () => createOktaHarness({ retry: RETRY }),
    group: 'Engineering',
    write: { method: 'PUT', path: /\/groups\/[^/]+\/users\// },
  },
  {
    name: 'google',
    start: () => createGoogleHarness({ ctx: { retry: RETRY } }),
    group: 'engineering@example.com',
    write: { method: 'POST', path: /\/members(?:\?|$)/ },
  },
];

let open: ProviderHarness | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

describe.each(CASES)('$name: a write applied, then no answer', ({ name, start, group, write }) => {
  it('is abandoned after the timeout, retried, and ends done', async () => {
    const h = await start();
    open = h;
    const login = 'ada@example.com';
    await h.seed({
      users: { [login]: { displayName: 'Ada Lovelace', enabled: true, sessions: 0 } },
      targets: { [`group:${group}`]: [] },
    });
    await h.provider.read({ logins: new Set([login]), targets: [{ kind: 'group', target: group }] });
    // Held back far longer than the connector waits (300 ms): the outcome must come first.
    const fault = h.server!.inject({ kind: 'hang-after-write', ms: 30_000, ...write, times: 1 });
    const change: Change = {
      id: `${name}/${login}/grant/eng`,
      action: 'grant',
      provider: name,
      login,
      person: 'ada',
      entitlement: 'eng',
      target: { kind: 'group', target: group },
      event: { kind: 'update' },
      because: ['test'],
    };
    const [outcome] = await Promise.all(h.provider.applyMany!([change]));
    const writes = h.server!.requests.filter((r) => r.method === write.method && write.path!.test(r.path));
    // It did not wait for the hung answer: that answer has not been sent yet.
    expect(writes[0]!.dropped).toBe('after-write');
    expect(writes[0]!.status).toBe(0);
    expect(fault.times).toBe(0);
    expect(outcome!.status === 'applied' || outcome!.status === 'unchanged', JSON.stringify(outcome)).toBe(
      true,
    );
    expect((await h.state([`group:${group}`])).targets[`group:${group}`]).toEqual([login]);
    expect(writes.length).toBeGreaterThanOrEqual(2);
  });
});
