import { describe, expect, it } from 'vitest';
import { policy as policySchema } from '../../src/model/schema.js';
import { requireHttps } from '../../src/providers/connector.js';
import { createProviders } from '../../src/providers/registry.js';
import type { Provider } from '../../src/providers/types.js';

const base = {
  organisation: { name: 'T', domain: 'example.com' },
  timezone: 'UTC',
  teams: { hr: ['a.b'], security: ['a.b'] },
};
const fake = { name: 'okta', simulated: false } as unknown as Provider;

describe('real connections', () => {
  it('refuse an endpoint that would carry credentials over plain http', () => {
    expect(() => requireHttps('okta', 'orgUrl', 'http://acme.okta.com')).toThrow(/must use https/);
    expect(() => requireHttps('entra', 'graphUrl', 'ftp://graph.microsoft.com')).toThrow(/must use https/);
    for (const ok of ['https://acme.okta.com', 'http://127.0.0.1:8080', 'http://localhost:1/'])
      expect(() => requireHttps('okta', 'orgUrl', ok)).not.toThrow();
  });

  it('never build a connector for an http endpoint, and never fall back to simulation', () => {
    const policy = policySchema.parse({ ...base, providers: { okta: { orgUrl: 'http://acme.okta.com' } } });
    let built = 0;
    const factories = {
      okta: () => {
        built++;
        return fake;
      },
    };
    expect(() => createProviders('/tmp', policy, 'okta', { env: {} }, factories)).toThrow(
      /orgUrl .* must use https/,
    );
    expect(built).toBe(0);
    const secure = policySchema.parse({ ...base, providers: { okta: { orgUrl: 'https://acme.okta.com' } } });
    expect(createProviders('/tmp', secure, 'okta', { env: {} }, factories)).toEqual([fake]);
    expect(() => createProviders('/tmp', secure, 'okta', { env: {} }, {})).toThrow(/not loaded/);
  });
});
