/**
 * What the model knows about each identity provider: its name, the entitlement kinds its API
 * can grant, what a catalog target looks like on it, and its section of policy/jml.yaml
 * `providers` (with the connection settings of a real tenant). One entry per provider in
 * `PROVIDER_SPECS`; everything else derives from it: the `providerName` enum, the `providers`
 * section of the policy schema (src/model/schema.ts), validate's kind check, and, through
 * src/providers/registry.ts, which connector builds each provider.
 *
 * Why the list lives here and not in src/providers: the model is the bottom floor. The policy
 * schema and validate need the names, the kinds and the connection schemas, and they may not
 * import the connectors above them (nor their vendor SDKs). So the model declares each
 * provider, and each folder in src/providers implements its entry: its descriptor takes
 * `name`, `kinds` and `connection` from here and adds how to build it. The registry's list is
 * typed by these names (a provider declared here without a folder does not compile), and
 * test/providers/descriptors.test.ts checks that the two lists agree.
 */
import { z } from 'zod';

/** What a catalog entry grants on its provider (policy/entitlements.yaml `kind`). */
export const ENTITLEMENT_KINDS = ['group', 'app', 'license', 'manual'] as const;
export type EntitlementKind = (typeof ENTITLEMENT_KINDS)[number];

const embeddedProvider = z.strictObject({
  embedded: z
    .literal(true)
    .meta({ description: 'Simulate this provider in an embedded directory (demo, tests).' }),
  directory: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'File of the embedded directory (git-ignored).' }),
});

/**
 * Names of environment variables: credentials are read from the environment, never from git.
 * Shared with the HR sources of policy/jml.yaml (src/model/schema.ts).
 */
export const envName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name like OKTA_API_TOKEN')
  .meta({ description: 'Name of the environment variable holding the credential (never the credential).' });

/** A real Microsoft Entra ID tenant, reached through Microsoft Graph. */
export const entraConnection = z.strictObject({
  tenantId: z.string().min(1).meta({ description: 'Directory (tenant) id.' }),
  clientId: z.string().min(1).meta({ description: 'Application (client) id of the app registration.' }),
  auth: z.enum(['workload-identity', 'client-secret']).default('workload-identity').meta({
    description:
      'workload-identity: a client assertion from the GitHub OIDC token (no secret). client-secret: weaker.',
  }),
  clientSecretEnv: envName.default('ENTRA_CLIENT_SECRET'),
  oidcTokenEnv: envName
    .default('ENTRA_FEDERATED_TOKEN')
    .meta({ description: 'Variable holding the federated OIDC token (the workflow fills it).' }),
  graphUrl: z
    .url()
    .default('https://graph.microsoft.com')
    .meta({ description: 'Graph endpoint (national clouds).' }),
  authorityUrl: z.url().default('https://login.microsoftonline.com').meta({
    description: 'Microsoft Entra sign-in endpoint that issues the app its tokens (national clouds).',
  }),
  temporaryAccessPass: z
    .strictObject({
      lifetimeMinutes: z.number().int().min(10).max(43_200).default(480),
      deliverTo: z.enum(['manager']).default('manager'),
      sendFrom: z.email().meta({
        description:
          'Mailbox the pass is mailed from through Exchange Online (Mail.Send, limited to this mailbox by an application access policy).',
      }),
    })
    .optional()
    .meta({
      description:
        'Joiners get a Temporary Access Pass mailed to their manager through Exchange Online; it is never printed, logged or stored.',
    }),
  usageLocation: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code, like US or DE')
    .optional()
    .meta({
      description:
        'Country (ISO 3166-1 alpha-2) set on the accounts the connector creates; Microsoft 365 licenses cannot be assigned to an account without one.',
    }),
  devicesOnLeave: z.enum(['retire', 'wipe', 'none']).default('retire').meta({
    description:
      "A leaver's Intune managed devices: retire removes company data and management (personal devices are only ever retired); wipe resets company-owned devices to factory settings.",
  }),
});

/** A real Okta org. */
export const oktaConnection = z.strictObject({
  orgUrl: z.url().meta({ description: 'https://<your-org>.okta.com' }),
  auth: z.enum(['private-key-jwt', 'ssws']).default('private-key-jwt').meta({
    description:
      'private-key-jwt: an API service app with scoped okta.* permissions. ssws: an admin API token (weaker).',
  }),
  clientId: z.string().min(1).optional(),
  privateKeyEnv: envName.default('OKTA_PRIVATE_KEY'),
  tokenEnv: envName.default('OKTA_API_TOKEN'),
  scopes: z
    .array(z.string().regex(/^okta\.[a-zA-Z.]+$/))
    .default(['okta.users.manage', 'okta.groups.manage', 'okta.apps.manage']),
});

/** A real Google Workspace, through the Admin SDK with domain-wide delegation. */
export const googleConnection = z.strictObject({
  customer: z.string().min(1).default('my_customer'),
  adminSubject: z
    .email()
    .meta({ description: 'The admin the service account acts as (domain-wide delegation).' }),
  auth: z.enum(['workload-identity', 'service-account-key']).default('workload-identity'),
  credentialsEnv: envName
    .default('GOOGLE_APPLICATION_CREDENTIALS')
    .meta({ description: 'Variable naming the credentials file (external account or service-account key).' }),
  rootUrl: z.url().default('https://admin.googleapis.com/'),
  licensingUrl: z
    .url()
    .default('https://licensing.googleapis.com/')
    .meta({ description: 'Enterprise License Manager endpoint (license entitlements).' }),
  dataTransferTo: z
    .enum(['manager'])
    .default('manager')
    .meta({ description: 'On leave, Drive and Calendar are transferred to this person.' }),
});

/**
 * Dialect differences of a SCIM 2.0 app, declared rather than coded: each is a fact about the app
 * (its /ServiceProviderConfig usually says so), and docs/providers/scim.md names the apps that need it.
 */
export const scimQuirks = z.strictObject({
  patch: z.boolean().default(true).meta({
    description:
      'false: the app has no PATCH (ServiceProviderConfig patch.supported false); jml reads the resource and PUTs it whole, with If-Match when the app gives ETags.',
  }),
  filter: z.boolean().default(true).meta({
    description:
      'false: the app refuses filter= (ServiceProviderConfig filter.supported false); jml lists every user and group and picks the managed ones itself.',
  }),
  memberRemoval: z.enum(['valuePath', 'valueArray']).default('valuePath').meta({
    description:
      'valuePath: remove a member with path members[value eq "id"] (RFC 7644 3.5.2.2). valueArray: path members with value [{value: id}], the dialect of apps built for Microsoft Entra provisioning.',
  }),
  maxPageSize: z.number().int().min(1).max(10_000).optional().meta({
    description:
      'The most resources the app returns per page (ServiceProviderConfig filter.maxResults); jml never asks for more.',
  }),
});

/** One SCIM app: where it is, the variable holding its bearer token, its pace and its dialect. */
export const scimApp = z.strictObject({
  baseUrl: z.url().meta({ description: "The app's SCIM 2.0 base URL (the one ending before /Users)." }),
  tokenEnv: envName.meta({
    description: 'Name of the environment variable holding the bearer token the app issued for provisioning.',
  }),
  requestsPerMinute: z.number().int().min(1).max(100_000).optional().meta({
    description: "The app's documented rate limit: jml spaces its requests so as to stay under it.",
  }),
  quirks: scimQuirks.default({ patch: true, filter: true, memberRemoval: 'valuePath' }),
});

/** A SCIM connection's name: the first part of its catalog targets (`slack/Engineering`). */
export const scimConnectionName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be a short lower-case name like slack or github-emu');

/** Any number of SCIM 2.0 apps, one connection each, named in catalog targets. */
export const scimConnection = z.strictObject({
  connections: z
    .record(scimConnectionName, scimApp)
    .refine((c) => Object.keys(c).length > 0, 'declare at least one connection')
    .meta({ description: 'One entry per SCIM app: its name is the first part of its catalog targets.' }),
});

const localSection = z
  .strictObject({ directory: z.string().min(1).default('.jml/directory.json') })
  .default({ directory: '.jml/directory.json' });

const manualSection = z
  .strictObject({ ledger: z.string().min(1).default('.jml/manual-tickets.json') })
  .optional()
  .meta({ description: 'Non-SSO apps: each grant or revoke becomes a ticket for the app owner.' });

/** One provider as the model declares it. */
export interface ProviderSpec<S extends z.ZodType = z.ZodType, C extends z.ZodType | undefined = undefined> {
  /**
   * The entitlement kinds its API can grant. Checked even while a provider is embedded, so that
   * the catalog still works the day the real tenant is connected.
   */
  readonly kinds: readonly EntitlementKind[];
  /** What validate tells the author of an entry of another kind: what a target looks like there. */
  readonly catalogHint: string;
  /** Its section of policy/jml.yaml `providers` (absent when the section is optional and not written). */
  readonly section: S;
  /** The settings of a real tenant, for a provider with a connector; it may also be `embedded: true`. */
  readonly connection?: C;
}

/** A provider whose settings are its own section only (an embedded directory, a ticket ledger). */
function standalone<S extends z.ZodType>(spec: ProviderSpec<S>): ProviderSpec<S> {
  return spec;
}

/**
 * A provider with a connector for a real tenant. Its section is either the connection or
 * `embedded: true`, which simulates it in an embedded directory of its own (labelled so in every
 * output); it is optional, as not every organisation uses every provider.
 */
function withConnection<C extends z.ZodObject>(
  connection: C,
  spec: Pick<ProviderSpec, 'kinds' | 'catalogHint'>,
): ProviderSpec<z.ZodOptional<z.ZodUnion<readonly [typeof embeddedProvider, C]>>, C> & {
  readonly connection: C;
} {
  return { ...spec, section: z.union([embeddedProvider, connection]).optional(), connection };
}

/**
 * Every provider, in the order policy/jml.yaml lists them, providers are built and plans show
 * them. Entra assigns apps through groups (an enterprise app's assigned groups) and Google has no
 * app assignment in the Directory API, so both use groups; Okta has no licenses.
 */
export const PROVIDER_SPECS = {
  local: standalone({
    kinds: ['group', 'app', 'license'],
    catalogHint: 'Use kind group, app or license.',
    section: localSection,
  }),
  entra: withConnection(entraConnection, {
    kinds: ['group', 'license'],
    catalogHint:
      'Use kind group with the group assigned to the enterprise app, or kind license with a SKU part number like SPE_E3.',
  }),
  google: withConnection(googleConnection, {
    kinds: ['group', 'license'],
    catalogHint:
      'Use kind group with the group that grants the app (by its email), or kind license with productId/skuId.',
  }),
  okta: withConnection(oktaConnection, {
    kinds: ['group', 'app'],
    catalogHint: 'Use kind app with the app label, or kind group.',
  }),
  scim: withConnection(scimConnection, {
    kinds: ['group', 'app'],
    catalogHint:
      'Use kind group with <connection>/<group displayName> (slack/Engineering), or kind app with the connection name alone (an active account in that app).',
  }),
  manual: standalone({
    kinds: ['manual'],
    catalogHint: 'Use kind manual.',
    section: manualSection,
  }),
};

export type ProviderName = keyof typeof PROVIDER_SPECS;

/** The provider names, in the list's order. */
export const PROVIDER_NAMES = Object.keys(PROVIDER_SPECS) as [ProviderName, ...ProviderName[]];

/** The catalog's `provider`; its description names every provider (descriptors.test.ts checks). */
export const providerName = z.enum(PROVIDER_NAMES).meta({
  description:
    'Where the entitlement lives: local (embedded directory), entra, google, okta, scim (a SCIM 2.0 app) or manual.',
});

/** The providers with a connector for a real tenant. */
export type ConnectableName = {
  [N in ProviderName]: (typeof PROVIDER_SPECS)[N] extends { readonly connection: z.ZodType } ? N : never;
}[ProviderName];

/** A real tenant's settings for provider `N`, as parsed (defaults filled in). */
export type ProviderConnection<N extends ConnectableName> = z.output<
  NonNullable<(typeof PROVIDER_SPECS)[N]['connection']>
>;

/** The shape of policy/jml.yaml `providers`: one section per provider, in the list's order. */
export function providerSections(): { [N in ProviderName]: (typeof PROVIDER_SPECS)[N]['section'] } {
  return Object.fromEntries(PROVIDER_NAMES.map((n) => [n, PROVIDER_SPECS[n].section])) as {
    [N in ProviderName]: (typeof PROVIDER_SPECS)[N]['section'];
  };
}

/** A table with one value per provider, read from the list (validate's kinds and hints). */
export function byProvider<T>(
  pick: (spec: ProviderSpec<z.ZodType, z.ZodType | undefined>) => T,
): Record<ProviderName, T> {
  return Object.fromEntries(PROVIDER_NAMES.map((n) => [n, pick(PROVIDER_SPECS[n])])) as Record<
    ProviderName,
    T
  >;
}

export type EntraConnection = z.infer<typeof entraConnection>;
export type OktaConnection = z.infer<typeof oktaConnection>;
export type GoogleConnection = z.infer<typeof googleConnection>;
export type ScimConnection = z.infer<typeof scimConnection>;
export type ScimApp = z.infer<typeof scimApp>;
export type ScimQuirks = z.infer<typeof scimQuirks>;
