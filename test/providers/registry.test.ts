import { describe, expect, it } from 'vitest';
import { policy as policySchema } from '../../src/model/schema.js';
import { requireEnv, requireHttps } from '../../src/providers/connector.js';
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

  it('name the setting of whoever needs it (a provider or an HR source), and take a blank variable for none', () => {
    const hr = { label: 'hr source people', section: 'hr.sources.people' };
    expect(() => requireHttps(hr, 'baseUrl', 'http://hr.example.com')).toThrow(
      'hr source people: baseUrl http://hr.example.com must use https: credentials would cross the network in clear (policy/jml.yaml hr.sources.people.baseUrl; plain http is accepted only for a loopback test server)',
    );
    expect(() => requireHttps('okta', 'orgUrl', 'acme.okta.com')).toThrow(
      /orgUrl acme\.okta\.com must use https/,
    );
    expect(() => requireEnv({ OKTA_TOKEN: ' ' }, 'OKTA_TOKEN', 'okta', 'tokenEnv')).toThrow(
      'okta: the environment variable OKTA_TOKEN is not set (policy/jml.yaml providers.okta.tokenEnv). Set it from your secret store, or declare the provider embedded: true to simulate it.',
    );
    expect(() => requireEnv({}, 'HR_KEY', hr, 'apiKeyEnv')).toThrow(
      'hr source people: the environment variable HR_KEY is not set (policy/jml.yaml hr.sources.people.apiKeyEnv). Set it from your secret store.',
    );
    expect(requireEnv({ HR_KEY: 'k' }, 'HR_KEY', hr, 'apiKeyEnv')).toBe('k');
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
