/**
 * The contract every provider folder implements: a descriptor, exported from
 * src/providers/<name>/descriptor.ts and listed once in src/providers/registry.ts.
 *
 * A descriptor is the model's declaration of the provider (src/model/providers.ts: its name, the
 * entitlement kinds it grants, its section of policy/jml.yaml and, for a real tenant, the
 * connection schema) plus how to build it: `create` turns the parsed section into a `Provider`
 * (the two methods, read and apply; never a dry-run flag), and a provider with a vendor SDK has
 * `loadConnector`, which imports the SDK only when policy/jml.yaml connects that provider for
 * real. src/providers/README.md walks through adding one.
 */
import {
  type ConnectableName,
  PROVIDER_SPECS,
  type ProviderConnection,
  type ProviderName,
} from '../model/providers.js';
import type { Policy } from '../model/schema.js';
import { type ConnectorContext, requireHttps } from './connector.js';
import { EmbeddedDirectory } from './embedded/embedded-directory.js';
import type { Provider } from './types.js';

/** Builds the connector for a real tenant from its parsed settings. */
export type ConnectorFactory<N extends ConnectableName> = (
  config: ProviderConnection<N>,
  ctx: ConnectorContext,
) => Provider;

/** Connectors by provider: those loaded so far, or a test's own in place of one. */
export type ConnectorFactories = { [N in ConnectableName]?: ConnectorFactory<N> };

/** A provider's section of policy/jml.yaml `providers`, parsed, when the policy writes one. */
export type ProviderSection<N extends ProviderName> = NonNullable<Policy['providers'][N]>;

/** What the registry hands every descriptor's `create`. */
export interface BuildContext {
  /** A file named in policy/jml.yaml, resolved against the repository root. */
  file(name: string): string;
  /** What a connector receives: the environment, the policy, retry overrides, a log sink. */
  connector: ConnectorContext;
  /** The connectors `loadConnectors` loaded (or a test's). */
  factories: ConnectorFactories;
}

/** How one folder builds its provider. */
export interface ProviderImplementation<N extends ProviderName> {
  /**
   * Builds the provider from its section of policy/jml.yaml. Synchronous and cheap: a vendor SDK
   * is imported beforehand by `loadConnector`.
   */
  create(section: ProviderSection<N>, ctx: BuildContext): Provider;
  /** Imports the connector and its vendor SDK; called only for a real connection. */
  loadConnector?(): Promise<ConnectorFactory<N & ConnectableName>>;
}

/** One provider: the model's declaration of it and its implementation. */
export type ProviderDescriptor<N extends ProviderName = ProviderName> = (typeof PROVIDER_SPECS)[N] & {
  readonly name: N;
} & ProviderImplementation<N>;

/** A descriptor: the model's entry for `name`, implemented by `implementation`. */
export function defineProvider<N extends ProviderName>(
  name: N,
  implementation: ProviderImplementation<N>,
): ProviderDescriptor<N> {
  // Object.assign, not a spread: TypeScript types a spread of the generic entry too loosely to check.
  return Object.assign({ name }, PROVIDER_SPECS[name], implementation);
}

/**
 * A provider with a connector for a real tenant (Entra, Google, Okta). Declared `embedded: true`
 * it is simulated in an embedded directory of its own, labelled so in every output. Declared
 * real, its endpoints must be https and its connector must have been loaded: a real connection
 * never falls back to simulation.
 */
export function connectable<N extends ConnectableName>(
  name: N,
  loadConnector: () => Promise<ConnectorFactory<N>>,
): ProviderDescriptor<N> {
  return defineProvider(name, {
    loadConnector: loadConnector as () => Promise<ConnectorFactory<N & ConnectableName>>,
    create(section, ctx) {
      if ('embedded' in section) {
        return new EmbeddedDirectory({
          name,
          file: ctx.file(section.directory ?? `.jml/${name}.json`),
          simulated: true,
          accounts: true,
        });
      }
      for (const [field, value] of Object.entries(section)) {
        if (field.endsWith('Url') && typeof value === 'string') requireHttps(name, field, value);
      }
      const factory = ctx.factories[name];
      if (!factory) throw new Error(`${name}: the connector is not loaded (call loadConnectors first)`);
      // Not embedded, so the section is the connection (TypeScript cannot narrow a generic union).
      return factory(section as ProviderConnection<N>, ctx.connector);
    },
  });
}
