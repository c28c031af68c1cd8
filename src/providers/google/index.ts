/**
 * The Google Workspace connector's entry point (wired into the registry by the lead).
 */
import type { GoogleConnection } from '../../model/schema.js';
import type { ConnectorContext } from '../registry.js';
import type { Provider } from '../types.js';
import { GoogleProvider } from './google-provider.js';

export { GOOGLE_SCOPES } from './auth.js';

/** A real Google Workspace connection: reads the credentials file now, fetches tokens on first use. */
export function createGoogleProvider(config: GoogleConnection, ctx: ConnectorContext): Provider {
  return new GoogleProvider(config, ctx);
}
