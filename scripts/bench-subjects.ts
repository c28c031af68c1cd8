/**
 * The connectors `scripts/bench-providers.ts` measures: how to start each against its fake, how
 * it spells a group, its page sizes (PROVIDERS.md) and which requests are token requests.
 */
import type { ProviderName } from '../src/model/schema.ts';
import { createEntraHarness } from '../test/fakes/entra/harness.ts';
import type { RecordedRequest } from '../test/fakes/fake-server.ts';
import { createGoogleHarness } from '../test/fakes/google/harness.ts';
import type { ProviderHarness } from '../test/fakes/harness.ts';
import { createOktaHarness, type OktaHarness } from '../test/fakes/okta/index.ts';

export interface BenchSubject {
  name: Exclude<ProviderName, 'local' | 'manual'>;
  start(opts: { rateLimitPerMinute?: number }): Promise<ProviderHarness>;
  groupName(g: number): string;
  userPage: number;
  memberPage: number;
  isTokenRequest(path: string): boolean;
  writeTarget?: number;
  /** Requests that arrived after a 429 and before the reset it named. */
  sentBeforeReset?(log: readonly RecordedRequest[]): number;
  /** The throughput `log` sustained against the limits the fake enforced (OktaFake.sustainedThroughput). */
  throughput?(log: readonly RecordedRequest[]): ReturnType<OktaHarness['fake']['sustainedThroughput']>;
}

const pad = (g: number) => String(g).padStart(3, '0');
let okta: OktaHarness | undefined;

export const BENCH_SUBJECTS: BenchSubject[] = [
  {
    name: 'entra',
    // Graph's budget is far above what the bench sends in 10 s; the read is not throttled.
    start: () => createEntraHarness(),
    groupName: (g) => `Group ${pad(g)}`,
    userPage: 999,
    memberPage: 999,
    isTokenRequest: (path) => path.includes('/oauth2/'),
    writeTarget: 5,
  },
  {
    name: 'okta',
    start: async ({ rateLimitPerMinute }) => {
      okta = await createOktaHarness(
        rateLimitPerMinute ? { rateLimit: { perMinute: rateLimitPerMinute } } : {},
      );
      return okta;
    },
    groupName: (g) => `Group ${pad(g)}`,
    userPage: 200,
    memberPage: 1000,
    isTokenRequest: (path) => path.startsWith('/oauth2/'),
    sentBeforeReset: (log) => okta!.fake.requestsBeforeReset(log),
    throughput: (log) => okta!.fake.sustainedThroughput(log),
  },
  {
    name: 'google',
    start: () => createGoogleHarness(),
    groupName: (g) => `group-${pad(g)}@example.com`,
    userPage: 500,
    memberPage: 200,
    isTokenRequest: (path) => path === '/token' || path.startsWith('/token?'),
  },
];
