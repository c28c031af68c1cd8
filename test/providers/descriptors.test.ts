/**
 * The provider list: the model declares every provider (src/model/providers.ts) and the registry
 * builds each from its folder's descriptor (src/providers/registry.ts). These tests hold the two
 * together, so that adding a provider stays one model entry, one folder and one list line.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PROVIDER_NAMES, PROVIDER_SPECS, providerName } from '../../src/model/providers.js';
import { policy as policySchema } from '../../src/model/schema.js';
import { EmbeddedDirectory } from '../../src/providers/embedded/embedded-directory.js';
import { connectors, createProviders, loadConnectors, PROVIDERS } from '../../src/providers/registry.js';

const base = {
  organisation: { name: 'T', domain: 'example.com' },
  timezone: 'UTC',
  teams: { hr: ['a.b'], security: ['a.b'] },
};

describe('the model and the registry agree', () => {
  it('the registry has one descriptor for every provider the model declares, and no other', () => {
    expect(Object.keys(PROVIDERS).sort()).toEqual([...PROVIDER_NAMES].sort());
  });

  it.each(PROVIDER_NAMES)('%s: the descriptor is the model entry of its own name, implemented', (name) => {
    const descriptor = PROVIDERS[name];
    const spec = PROVIDER_SPECS[name];
    expect(descriptor.name).toBe(name);
    expect(descriptor.kinds).toBe(spec.kinds);
    expect(descriptor.catalogHint).toBe(spec.catalogHint);
    expect(descriptor.section).toBe(spec.section);
    expect(descriptor.connection).toBe(spec.connection);
    expect(typeof descriptor.create).toBe('function');
  });

  it.each(PROVIDER_NAMES)(
    '%s: has a connector to load exactly when the model gives it a connection',
    (name) => {
      expect(typeof PROVIDERS[name].loadConnector === 'function').toBe(
        PROVIDER_SPECS[name].connection !== undefined,
      );
    },
  );

  it('policy/jml.yaml providers has one section per provider, in the list order', () => {
    expect(Object.keys(policySchema.shape.providers.shape)).toEqual(PROVIDER_NAMES);
  });

  it('the provider enum lists the providers in the list order, and its description names each', () => {
    expect(providerName.options).toEqual(PROVIDER_NAMES);
    for (const name of PROVIDER_NAMES) expect(providerName.description).toContain(name);
  });

  it('only the manual provider takes kind manual, and it takes nothing else', () => {
    for (const name of PROVIDER_NAMES) {
      const kinds = PROVIDER_SPECS[name].kinds;
      expect(kinds.length, name).toBeGreaterThan(0);
      if (name === 'manual') expect(kinds).toEqual(['manual']);
      else expect(kinds, name).not.toContain('manual');
    }
  });
});

describe('building from the list', () => {
  afterEach(() => {
    for (const name of PROVIDER_NAMES) delete (connectors as Record<string, unknown>)[name];
  });

  it('builds the declared providers in the list order, each embedded one simulated in a file of its own', () => {
    const policy = policySchema.parse({
      ...base,
      providers: {
        manual: {},
        okta: { embedded: true },
        google: { embedded: true, directory: 'g.json' },
        entra: { embedded: true },
      },
    });
    const built = createProviders('/repo', policy, undefined, { env: {} }, {});
    expect(built.map((p) => [p.name, p.simulated])).toEqual([
      ['local', false],
      ['entra', true],
      ['google', true],
      ['okta', true],
      ['manual', true],
    ]);
    const files = built.map((p) => (p instanceof EmbeddedDirectory ? p.file : p.name));
    expect(files).toEqual([
      '/repo/.jml/directory.json',
      '/repo/.jml/entra.json',
      '/repo/g.json',
      '/repo/.jml/okta.json',
      '/repo/.jml/manual-tickets.json',
    ]);
  });

  it('builds only the provider asked for, and nothing for a provider the policy leaves out', () => {
    const policy = policySchema.parse({ ...base, providers: { okta: { embedded: true } } });
    expect(createProviders('/repo', policy, 'okta', { env: {} }, {}).map((p) => p.name)).toEqual(['okta']);
    expect(createProviders('/repo', policy, 'entra', { env: {} }, {})).toEqual([]);
  });

  it('loads the connector of a real connection only, and only for the provider asked for', async () => {
    const policy = policySchema.parse({
      ...base,
      providers: { okta: { orgUrl: 'https://acme.okta.com', clientId: 'x' }, entra: { embedded: true } },
    });
    await loadConnectors(policy, 'entra');
    expect(Object.keys(connectors)).toEqual([]);
    await loadConnectors(policy);
    expect(Object.keys(connectors)).toEqual(['okta']);
    expect(connectors.okta).toBe((await import('../../src/providers/okta/index.js')).createOktaProvider);
  });

  it('leaves a connector a test put in place alone', async () => {
    const own = () => {
      throw new Error('not called');
    };
    connectors.okta = own;
    const policy = policySchema.parse({ ...base, providers: { okta: { orgUrl: 'https://acme.okta.com' } } });
    await loadConnectors(policy);
    expect(connectors.okta).toBe(own);
  });
});
