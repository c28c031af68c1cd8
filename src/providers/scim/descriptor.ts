/**
 * `scim`: SCIM 2.0 apps (RFC 7643/7644), one connection per app. The connector (./index.ts) is
 * imported only when policy/jml.yaml connects real apps.
 */
import { connectable } from '../descriptor.js';

export const scim = connectable('scim', async () => (await import('./index.js')).createScimProvider);
