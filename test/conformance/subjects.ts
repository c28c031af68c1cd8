/**
 * The providers the conformance suite runs against. `local` is the embedded directory; the
 * others are the real connectors pointed at their loopback fakes, built by the CLI from
 * policy/jml.yaml and the environment exactly as in production.
 */

import type { ScimQuirks } from '../../src/model/providers.js';
import { ALL_ROLES, AUDIT_LOG_PERMISSION } from '../fakes/entra/graph-fake.js';
import { createEntraHarness, type EntraHarness } from '../fakes/entra/harness.js';
import { CREDENTIALS_ENV, createGoogleHarness, type GoogleHarness } from '../fakes/google/harness.js';
import {
  createOktaHarness,
  OKTA_REFUSED_WRITE,
  OKTA_THROTTLE,
  type OktaHarness,
} from '../fakes/okta/index.js';
import { createScimHarness, SCIM_CONNECTION, type ScimHarness } from '../fakes/scim/harness.js';
import { scimErrorBody } from '../fakes/scim/scim-fake.js';
import type { Subject, TargetOf } from './subject.js';

/** Entra and Google grant an app through a group: a fixture's app is a group there. */
function appAsGroup(kind: string, target: string): TargetOf {
  return { kind: kind === 'app' ? 'group' : kind, target };
}

/** Google names a group by its email: the fixture's group name, slugged, at the test domain. */
function googleTarget(kind: string, target: string): TargetOf {
  const t = appAsGroup(kind, target);
  if (t.kind !== 'group') return t;
  const slug = target
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return { kind: 'group', target: `${slug}@example.com` };
}

/** A SCIM app's targets name its connection; apps are granted through a group there (as Entra's). */
function scimTarget(kind: string, target: string): TargetOf {
  const t = appAsGroup(kind, target);
  return t.kind === 'group' ? { kind: 'group', target: `${SCIM_CONNECTION}/${target}` } : t;
}

/**
 * The SCIM subject: SCIMMY (an independent SCIM 2.0 server library) behind the quirk layer of
 * test/fakes/scim, with `quirks` declared on both sides; one run per declared quirk.
 */
function scimSubject(quirks: Partial<ScimQuirks> = {}): Subject {
  return {
    name: 'scim',
    ...(Object.keys(quirks).length > 0
      ? {
          variant: Object.entries(quirks)
            .map(([k, v]) => `${k}: ${v}`)
            .join(', '),
        }
      : {}),
    fake: {
      start: () => createScimHarness({ quirks }),
      connection: (h) => {
        const s = h as ScimHarness;
        return { config: { ...s.config }, env: s.env };
      },
    },
    translate: scimTarget,
    noSignIns: true,
    // 403: the token's scope does not cover groups. Not retried.
    refuseOneWrite: {
      kind: 'status',
      method: quirks.patch === false ? 'PUT' : 'PATCH',
      path: /\/scim\/v2\/Groups\//,
      status: 403,
      body: scimErrorBody(403, 'The token is not allowed to change groups'),
      times: 1,
    },
    // On the leaver's deactivation: the first apply phase, one request in flight.
    throttle: {
      fault: {
        kind: 'status',
        status: 429,
        headers: { 'retry-after': '1' },
        body: scimErrorBody(429, 'Too many requests'),
        method: quirks.patch === false ? 'PUT' : 'PATCH',
        path: /\/scim\/v2\/Users\//,
        times: 3,
      },
      waitMs: 1000,
    },
  };
}

export const SUBJECTS: Subject[] = [
  { name: 'local' },
  {
    name: 'okta',
    fake: {
      start: () => createOktaHarness(),
      connection: (h) => {
        const o = h as OktaHarness;
        return { config: { ...o.config }, env: o.env };
      },
    },
    refuseOneWrite: OKTA_REFUSED_WRITE,
    // On the leaver's suspension: the first apply phase, one request in flight.
    throttle: {
      ...OKTA_THROTTLE,
      fault: { ...OKTA_THROTTLE.fault, method: 'POST', path: /\/lifecycle\/suspend/ },
    },
  },
  {
    name: 'entra',
    fake: {
      start: () => createEntraHarness(),
      connection: (h) => {
        const { config, fake } = h as EntraHarness;
        return { config: { ...config }, env: { [config.oidcTokenEnv]: fake.federatedToken } };
      },
    },
    translate: appAsGroup,
    // Authorization_RequestDenied: the app lacks the permission. Not retried.
    refuseOneWrite: {
      kind: 'status',
      method: 'POST',
      path: /members\/\$ref/,
      status: 403,
      body: {
        error: {
          code: 'Authorization_RequestDenied',
          message: 'Insufficient privileges to complete the operation.',
          innerError: { date: '2026-11-26T00:00:00', 'request-id': 'r', 'client-request-id': 'c' },
        },
      },
      times: 1,
    },
    // Last sign-ins need AuditLog.Read.All: without it the read reports none, and warns.
    withoutSignIns: async () => {
      const log: string[] = [];
      const harness = await createEntraHarness({
        fake: { roles: ALL_ROLES.filter((r) => r !== AUDIT_LOG_PERMISSION) },
        context: { log: (line) => log.push(line) },
      });
      return { harness, log };
    },
    // Apply sends its writes in $batch: the throttle falls on the batch post itself.
    throttle: {
      fault: {
        kind: 'status',
        status: 429,
        headers: { 'retry-after': '1' },
        method: 'POST',
        path: /\$batch/,
        times: 3,
      },
      waitMs: 1000,
    },
  },
  {
    name: 'google',
    fake: {
      start: () => createGoogleHarness(),
      connection: (h) => {
        const g = h as GoogleHarness;
        return { config: { ...g.config }, env: { [CREDENTIALS_ENV]: g.keyFile } };
      },
    },
    translate: googleTarget,
    // A 403 that is not a quota error: the admin lacks a privilege. Not retried.
    refuseOneWrite: {
      kind: 'status',
      method: 'POST',
      path: /\/admin\/directory\/v1\/groups\/[^/?]+\/members(?:\?|$)/,
      status: 403,
      body: {
        error: {
          code: 403,
          message: 'Not Authorized to access this resource/api',
          errors: [
            { message: 'Not Authorized to access this resource/api', domain: 'global', reason: 'forbidden' },
          ],
          status: 'PERMISSION_DENIED',
        },
      },
      times: 1,
    },
    throttle: {
      fault: {
        kind: 'status',
        status: 429,
        body: {
          error: {
            code: 429,
            message: 'Rate limit exceeded',
            errors: [{ message: 'Rate limit exceeded', domain: 'usageLimits', reason: 'rateLimitExceeded' }],
            status: 'RESOURCE_EXHAUSTED',
          },
        },
        // On the leaver's suspension (users.update).
        method: 'PUT',
        path: /\/admin\/directory\/v1\/users\/[^/?]+(?:\?|$)/,
        times: 3,
      },
    },
  },
  scimSubject(),
];

/**
 * Second runs of a subject with its server in another dialect: for SCIM, one per declared quirk
 * (docs/providers/scim.md names the apps that need each).
 */
export const VARIANTS: Subject[] = [
  scimSubject({ patch: false }),
  scimSubject({ filter: false }),
  scimSubject({ memberRemoval: 'valueArray' }),
  scimSubject({ maxPageSize: 2 }),
];
