/**
 * `entra`: Microsoft Entra ID through Microsoft Graph. The connector (./index.ts) and the Graph
 * SDK are imported only when policy/jml.yaml connects a real tenant.
 */
import { connectable } from '../descriptor.js';

export const entra = connectable('entra', async () => (await import('./index.js')).createEntraProvider);
