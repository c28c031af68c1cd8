/**
 * The connectors `scripts/bench-providers.ts` measures: how to start each against its fake, how
 * it spells a group, its page sizes (PROVIDERS.md) and which requests are token requests.
 */
import type { ProviderName } from '../src/model/schema.ts';
import type { RecordedRequest } from '../test/fakes/fake-server.ts';
import type { ProviderHarness } from '../test/fakes/harness.ts';

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
}

export const BENCH_SUBJECTS: BenchSubject[] = [];
