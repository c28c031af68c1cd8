/**
 * `manual`: apps outside SSO. Each grant or revoke becomes a ticket for the app owner, kept in a
 * ledger file (`providers.manual.ledger`) by the embedded directory; it holds no accounts, only
 * who should have each app. Simulated: no API does the work, a person does.
 */
import { defineProvider } from '../descriptor.js';
import { EmbeddedDirectory } from '../embedded/embedded-directory.js';

export const manual = defineProvider('manual', {
  create: (section, ctx) =>
    new EmbeddedDirectory({
      name: 'manual',
      file: ctx.file(section.ledger),
      simulated: true,
      accounts: false,
    }),
});
