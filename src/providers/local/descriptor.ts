/**
 * `local`: the embedded directory, the default provider. With no cloud credentials it behaves
 * like an identity provider (users, sessions, groups, apps, licenses) in a git-ignored file,
 * `providers.local.directory`. It is real, not simulated: it is the organisation's own directory.
 */
import { defineProvider } from '../descriptor.js';
import { EmbeddedDirectory } from '../embedded/embedded-directory.js';

export const local = defineProvider('local', {
  create: (section, ctx) =>
    new EmbeddedDirectory({
      name: 'local',
      file: ctx.file(section.directory),
      simulated: false,
      accounts: true,
    }),
});
