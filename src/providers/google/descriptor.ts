/**
 * `google`: Google Workspace through the Admin SDK (Directory, Data Transfer, Licensing). The
 * connector (./index.ts) and the SDK are imported only when policy/jml.yaml connects a real tenant.
 */
import { connectable } from '../descriptor.js';

export const google = connectable('google', async () => (await import('./index.js')).createGoogleProvider);
