/**
 * The one door every Okta HTTP request goes through, token requests and list pages included:
 * the SDK hands each request to its RequestExecutor, so retrying here retries a single page
 * rather than a whole listing, and every answer's rate-limit headers are seen. The SDK's own
 * retries (DefaultRequestExecutor) are not used, so waits are never stacked.
 */
import { RequestExecutor } from '@okta/okta-sdk-nodejs';
import pLimit from 'p-limit';
import { DEFAULT_RETRY, type RateGate, type RetryOptions, withRetry } from '../retry.js';
import { classifyOkta, isRetryableStatus, responseError } from './errors.js';
import { OKTA_MAX_IN_FLIGHT, oktaRateBucket, RateBudget } from './rate-limits.js';

type FetchRequest = Parameters<RequestExecutor['fetch']>[0];
type FetchResponse = Awaited<ReturnType<RequestExecutor['fetch']>>;

export interface ExecutorOptions {
  gate: RateGate;
  retry: Partial<RetryOptions> & Pick<RetryOptions, 'now' | 'sleep'>;
  log?: (line: string) => void;
  /** Removes credentials from a log line (the SDK's errors may quote a request). */
  redact?: (text: string) => string;
}

const TOKEN_PATH = '/oauth2/v1/token';

export class GovernedRequestExecutor extends RequestExecutor {
  private readonly budget: RateBudget;
  private readonly slots = pLimit(OKTA_MAX_IN_FLIGHT);

  constructor(private readonly opts: ExecutorOptions) {
    super();
    this.budget = new RateBudget(opts.retry, opts.gate);
  }

  override fetch(request: FetchRequest): Promise<FetchResponse> {
    const method = (request.method ?? 'GET').toUpperCase();
    const url = request.url ?? '';
    const where = `${method} ${new URL(url).pathname}`;
    return withRetry(() => this.send(request, method, url), classifyOkta, {
      ...this.opts.retry,
      gate: this.opts.gate,
      onRetry: ({ attempt, delayMs, failure }) => {
        const line = `okta: ${where} attempt ${attempt} failed (${failure.message}); retrying in ${delayMs} ms`;
        this.opts.log?.(this.opts.redact ? this.opts.redact(line) : line);
      },
    });
  }

  /** One attempt: a budget slot, the request, and the answer checked before the SDK sees it. */
  private async send(request: FetchRequest, method: string, url: string): Promise<FetchResponse> {
    const bucket = oktaRateBucket(method, url);
    await this.budget.acquire(bucket);
    let response: FetchResponse | undefined;
    try {
      // node-fetch's own timeout: an answer that never comes is a retryable `request-timeout`.
      const timeout = this.opts.retry.requestTimeoutMs ?? DEFAULT_RETRY.requestTimeoutMs;
      response = await this.slots(() => super.fetch({ ...request, timeout } as FetchRequest));
    } finally {
      this.budget.release(bucket, response?.headers);
    }
    const refusedToken = !response.ok && new URL(url).pathname === TOKEN_PATH;
    if (isRetryableStatus(response.status) || refusedToken) {
      // The SDK would print the token endpoint's answer as "undefined"; say what Okta said.
      throw responseError(response.status, response.headers, await response.text(), this.opts.retry.now());
    }
    return response;
  }
}
