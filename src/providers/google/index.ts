/**
 * The Google Workspace connector's entry point, loaded by ./descriptor.ts only when policy/jml.yaml
 * connects a real tenant.
 */
import type { GoogleConnection } from '../../model/schema.js';
import type { ConnectorContext } from '../connector.js';
import type { Provider } from '../types.js';
import { GoogleProvider } from './google-provider.js';

export { GOOGLE_SCOPES } from './auth.js';

/** A real Google Workspace connection: reads the credentials file now, fetches tokens on first use. */
export function createGoogleProvider(config: GoogleConnection, ctx: ConnectorContext): Provider {
  return new GoogleProvider(config, ctx);
}
