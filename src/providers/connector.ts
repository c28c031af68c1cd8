/**
 * What a connector (the code that reaches a real tenant through its vendor's SDK) receives from
 * the registry, and the checks every connector makes on what it is given: credentials only from
 * the environment, endpoints only over https. Connectors import this file, never the registry,
 * so that the registry can load them lazily without an import circle.
 */
import type { Policy, ProviderName } from '../model/schema.js';
import type { RetryOptions } from './retry.js';

/** What every connector factory receives besides its own section of policy/jml.yaml. */
export interface ConnectorContext {
  env: NodeJS.ProcessEnv;
  /** The organisation's retention and other policy numbers a connector needs. */
  policy?: Policy;
  /** Overrides of the shared retry policy (tests: fake clocks, small budgets). */
  retry?: Partial<RetryOptions>;
  /** One line per notable event (retries, throttling). Never given a credential. */
  log?: (line: string) => void;
}

/**
 * Whose settings a check reads, as its messages name them. A provider is named by its name alone
 * (`okta`: section `providers.okta`, and it may be simulated instead); an HR source says so itself
 * (hr/adapters/common.ts, sourceSettings).
 */
export interface SettingOwner {
  /** Messages start with it: `okta`, `hr source bamboohr`. */
  label: string;
  /** Its section of policy/jml.yaml: `providers.okta`, `hr.sources.bamboohr`. */
  section: string;
  /** What else may be done about a missing credential than setting it. */
  otherwise?: string;
}

function ownerOf(who: ProviderName | SettingOwner): SettingOwner {
  return typeof who === 'string'
    ? {
        label: who,
        section: `providers.${who}`,
        otherwise: 'declare the provider embedded: true to simulate it',
      }
    : who;
}

/**
 * Reads a credential from the environment, or says exactly which variable to set and which
 * setting names it (never a value). A blank value is no credential: it fails here, by name,
 * rather than at the vendor as a bare 401.
 */
export function requireEnv(
  env: NodeJS.ProcessEnv,
  name: string,
  who: ProviderName | SettingOwner,
  field: string,
): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    const { label, section, otherwise } = ownerOf(who);
    throw new Error(
      `${label}: the environment variable ${name} is not set (policy/jml.yaml ${section}.${field}). ` +
        `Set it from your secret store${otherwise ? `, or ${otherwise}` : ''}.`,
    );
  }
  return value;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether credentials may be sent to `url`: https, or plain http on loopback (the test fakes). */
export function isSecureEndpoint(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const { protocol, hostname } = new URL(url);
  return protocol === 'https:' || (protocol === 'http:' && LOOPBACK.has(hostname));
}

/**
 * Every endpoint a connector sends credentials to must be https: a typo like http://acme.okta.com
 * would send the token in clear before any redirect. Plain http is accepted only on loopback
 * (the test fakes).
 */
export function requireHttps(who: ProviderName | SettingOwner, field: string, value: string): void {
  if (isSecureEndpoint(value)) return;
  const { label, section } = ownerOf(who);
  throw new Error(
    `${label}: ${field} ${value} must use https: credentials would cross the network in clear ` +
      `(policy/jml.yaml ${section}.${field}; plain http is accepted only for a loopback test server)`,
  );
}
