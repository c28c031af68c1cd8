/**
 * `okta`: an Okta org through the Okta SDK. The connector (./index.ts) and the SDK are imported
 * only when policy/jml.yaml connects a real org.
 */
import { connectable } from '../descriptor.js';

export const okta = connectable('okta', async () => (await import('./index.js')).createOktaProvider);
