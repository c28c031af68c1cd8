/**
 * The SCIM connector's entry point, loaded by ./descriptor.ts only when policy/jml.yaml connects
 * real apps. Each connection's bearer token comes from the environment variable it names; its
 * base URL must be https (plain http only on loopback, for the tests).
 */
import type { ScimConnection } from '../../model/providers.js';
import { type ConnectorContext, requireEnv, requireHttps } from '../connector.js';
import { DEFAULT_RETRY } from '../retry.js';
import type { Provider } from '../types.js';
import { ScimClient } from './client.js';
import { type ScimConnectionHandle, ScimProvider } from './scim-provider.js';

export { ScimProvider } from './scim-provider.js';

export function createScimProvider(config: ScimConnection, ctx: ConnectorContext): Provider {
  const retry = { ...DEFAULT_RETRY, ...ctx.retry };
  const handles = new Map<string, ScimConnectionHandle>();
  for (const [name, settings] of Object.entries(config.connections)) {
    const owner = {
      label: `scim ${name}`,
      section: `providers.scim.connections.${name}`,
      otherwise: 'declare scim embedded: true to simulate it',
    };
    requireHttps(owner, 'baseUrl', settings.baseUrl);
    const token = requireEnv(ctx.env, settings.tokenEnv, owner, 'tokenEnv');
    const client = new ScimClient({
      name,
      baseUrl: settings.baseUrl,
      token,
      retry,
      ...(settings.requestsPerMinute ? { requestsPerMinute: settings.requestsPerMinute } : {}),
      ...(ctx.log ? { log: ctx.log } : {}),
    });
    handles.set(name, { client, settings });
  }
  return new ScimProvider(handles);
}
