/**
 * The model: the one source of truth for every YAML shape in a policy repository.
 *
 * TypeScript types are inferred from these schemas and the JSON Schemas for editors
 * (schemas/*.schema.json) are generated from them (`jml schemas --write`), so the three can
 * never disagree. Every object is strict: an unknown field is a typo until proven otherwise.
 * Descriptions are written for the HR/IT person editing the file; they reach the editor's
 * tooltips and the validator's hints.
 */
import { z } from 'zod';
import { ENTITLEMENT_KINDS, envName, providerName, providerSections } from './providers.js';

// The provider parts of the model (names, kinds, connection settings) live in ./providers.ts,
// one entry per provider; they are exported from here too, as every other shape is.
export {
  type EntraConnection,
  entraConnection,
  type GoogleConnection,
  googleConnection,
  type OktaConnection,
  oktaConnection,
  type ProviderName,
  providerName,
} from './providers.js';

/** Lower-case identifiers used as file names and references: `alice.nguyen`, `backend-engineer`, `EXC-0007` is the one exception. */
export const personId = z
  .string()
  .regex(/^[a-z0-9]+(?:[.\-_][a-z0-9]+)*$/, 'use lower-case letters, digits, and . - _ between them')
  .max(64)
  .meta({
    description: 'A person id: lower-case, usually first.last, equal to the file name.',
    examples: ['alice.nguyen'],
  });

export const roleId = z
  .string()
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'use lower-case letters and digits separated by single hyphens')
  .max(64)
  .meta({
    description: 'A role template id: kebab-case, equal to the file name.',
    examples: ['backend-engineer'],
  });

export const entitlementId = z
  .string()
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'use lower-case letters and digits separated by single hyphens')
  .max(80)
  .meta({
    description: 'An entitlement id from policy/entitlements.yaml.',
    examples: ['github-engineering'],
  });

export const exceptionId = z
  .string()
  .regex(/^EXC-[0-9]{4,}$/, 'use EXC- followed by at least four digits, like EXC-0007')
  .meta({ description: 'An exception id, EXC-NNNN, equal to the file name.', examples: ['EXC-0007'] });

export const appId = roleId.meta({
  description: 'An app id from policy/apps.yaml.',
  examples: ['salesforce'],
});

/**
 * What a reference names, for editors: the JSON Schemas carry it under `x-jml-ids`, and
 * `jml schemas --local` writes copies that list the organisation's own ids there, so that an
 * editor completes `manager:` from people/ and flags a role that does not exist as it is typed.
 */
export const ID_KINDS = ['people', 'roles', 'entitlements', 'exceptions', 'apps'] as const;
export type IdKind = (typeof ID_KINDS)[number];
export const ID_REF_KEY = 'x-jml-ids';
const refTo = <T extends z.ZodType>(schema: T, ids: IdKind): T => schema.meta({ [ID_REF_KEY]: ids }) as T;
/** A reference to a person id (a file in people/). */
export const personRef = refTo(personId, 'people');
/** A reference to a role template id (a file in roles/). */
export const roleRef = refTo(roleId, 'roles');
/** A reference to an entitlement id of policy/entitlements.yaml. */
export const entitlementRef = refTo(entitlementId, 'entitlements');
/** A reference to an exception id (a file in exceptions/). */
export const exceptionRef = refTo(exceptionId, 'exceptions');
/** A reference to an app id of policy/apps.yaml. */
export const appRef = refTo(appId, 'apps');

/** A calendar date, read in the organisation's time zone (policy/jml.yaml `timezone`). */
export const calendarDate = z.iso.date('must be a calendar date written YYYY-MM-DD, like 2026-12-01').meta({
  description: 'A calendar date (YYYY-MM-DD) in the organisation time zone.',
  examples: ['2026-12-01'],
});

/**
 * An instant. The offset is mandatory: a leaver's disable time must never depend on where the
 * engine happens to run, so `2027-03-31T17:00:00` without `Z` or an offset like `-04:00` is refused.
 */
/** A calendar date that exists (leap years included), as zod's own ISO date pattern writes it. */
const EXISTING_DATE =
  '(?:(?:\\d\\d[2468][048]|\\d\\d[13579][26]|\\d\\d0[48]|[02468][048]00|[13579][26]00)-02-29|\\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|(?:02)-(?:0[1-9]|1\\d|2[0-8])))';

export const instant = z
  // RFC 3339 section 5.6: "T" and "Z" may be written in lower case (the note under the grammar),
  // so 2027-03-31t17:00:00z is the same instant. Seconds are required; fractions optional.
  .stringFormat(
    'datetime',
    new RegExp(
      `^${EXISTING_DATE}[Tt](?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d+)?(?:[Zz]|[+-](?:[01]\\d|2[0-3]):[0-5]\\d)$`,
    ),
    {
      message:
        'must be an exact instant with a UTC offset, like 2027-03-31T17:00:00-04:00 or 2027-03-31T21:00:00Z',
    },
  )
  .meta({
    description: 'An exact instant with a UTC offset (RFC 3339), like 2027-03-31T17:00:00-04:00.',
    examples: ['2027-03-31T17:00:00-04:00'],
  });

const email = z.email('must be an email address like alice.nguyen@example.com').max(254);

// ---------------------------------------------------------------------------------------------
// people/<id>.yaml

export const roleAssignment = z.strictObject({
  role: roleRef.meta({ description: 'The role template (a file in roles/).' }),
  from: calendarDate.meta({
    description:
      'The date this role takes effect (org time zone). The role in force is the last with from <= today.',
  }),
  retain: z.array(exceptionRef).optional().meta({
    description:
      'A move: the exceptions (marked retainOnMove) the person keeps through this move. The manager of record re-approves each in the pull request that adds it; an exception not listed ends on this date.',
  }),
});

export const employment = z.strictObject({
  type: z
    .enum(['employee', 'contractor', 'intern'])
    .default('employee')
    .meta({ description: 'Kind of worker.' }),
  start: calendarDate.meta({ description: 'First day of work: access exists from the start of this date.' }),
  end: instant
    .optional()
    .meta({ description: 'Leaver: the exact instant access ends (with offset). Omit while employed.' }),
  highRisk: z.boolean().default(false).meta({
    description: 'High-risk leaver: disabled within minutes of the end instant, not within the hour.',
  }),
});

export const person = z.strictObject({
  id: personId,
  name: z.string().min(1).max(200).meta({ description: 'Full name as people know it.' }),
  email: email.meta({ description: 'Work email: the login on every identity provider.' }),
  github: z
    .string()
    .regex(/^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/, 'must be a GitHub login')
    .optional()
    .meta({ description: 'GitHub login, used to check approvals and to generate CODEOWNERS.' }),
  hrId: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .meta({ description: "The HR system's immutable id; HR sync matches on it only." }),
  manager: personRef
    .optional()
    .meta({ description: 'Person id of the manager of record. Only the top of the organisation has none.' }),
  department: z.string().min(1).max(100).meta({ description: 'Department, as HR names it.' }),
  title: z.string().min(1).max(200).optional().meta({ description: 'Job title.' }),
  location: z.string().min(1).max(100).optional(),
  employment,
  roles: z
    .array(roleAssignment)
    .min(1, 'needs at least one role')
    .meta({ description: 'Dated role history. A mover adds an entry with the effective date.' }),
});

// ---------------------------------------------------------------------------------------------
// roles/<id>.yaml

export const role = z.strictObject({
  id: roleId,
  title: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  owner: personRef.meta({ description: 'Person id who approves changes to this template.' }),
  includes: z
    .array(roleRef)
    .default([])
    .meta({ description: 'Roles whose entitlements this one also grants. Cycles are an error.' }),
  entitlements: z
    .array(entitlementRef)
    .default([])
    .meta({ description: 'Entitlement ids from policy/entitlements.yaml.' }),
});

// ---------------------------------------------------------------------------------------------
// exceptions/<id>.yaml

export const exception = z.strictObject({
  id: exceptionId,
  person: personRef.meta({ description: 'Who receives the access.' }),
  entitlements: z.array(entitlementRef).min(1, 'lists no entitlement'),
  justification: z
    .string()
    .meta({ description: 'Why this access is needed, with a ticket reference. Required.' }),
  approvers: z
    .array(personRef)
    .min(1, 'names no approver')
    .meta({ description: "Person ids who approved it; checked against the pull request's real approvals." }),
  from: calendarDate.meta({ description: 'First day in force (org time zone).' }),
  expires: calendarDate.meta({
    description:
      'Required. The access ends at the start of this date (org time zone), at most the policy maximum.',
  }),
  retainOnMove: z
    .boolean()
    .default(false)
    .meta({ description: 'Keep this exception when the person changes role (the manager re-approves).' }),
  ticket: z.string().max(200).optional(),
});

// ---------------------------------------------------------------------------------------------
// policy/entitlements.yaml

export const entitlement = z.strictObject({
  id: entitlementId,
  title: z.string().min(1).max(200).optional(),
  provider: providerName,
  kind: z.enum(ENTITLEMENT_KINDS).meta({ description: 'group | app | license | manual.' }),
  target: z
    .string()
    .min(1)
    .max(256)
    .meta({ description: 'Provider-side name or id (group name, app name, SKU).' }),
  app: appRef
    .optional()
    .meta({ description: 'The app in policy/apps.yaml this entitlement gives access to.' }),
  owner: personRef.meta({ description: 'Approves exceptions for this entitlement.' }),
  risk: z.enum(['low', 'medium', 'high']).default('low'),
  management: z.enum(['authoritative', 'additive']).default('authoritative').meta({
    description:
      'authoritative: membership is exactly what git says (unknown members are removed). additive: unknown members are reported, never removed.',
  }),
  onLeave: z.enum(['revoke', 'retain']).default('revoke').meta({
    description:
      "revoke: removed at the leaver's end instant. retain: kept on the disabled account for the retention window (retention.accountDays), then removed; for the license that keeps a leaver's mailbox, which the provider deletes some time after its license goes.",
  }),
});

export const entitlementCatalog = z.array(entitlement);

// ---------------------------------------------------------------------------------------------
// policy/apps.yaml

export const app = z.strictObject({
  id: appId,
  name: z.string().min(1).max(200),
  owner: personRef,
  sso: z
    .enum(['okta', 'entra', 'google', 'none'])
    .meta({ description: 'Which identity provider signs people in.' }),
  deprovisioning: z.enum(['sso', 'scim', 'manual']).meta({
    description: 'How access is removed: sso (blocked at sign-in), scim (pushed), manual (a ticket).',
  }),
  dataClassification: z.enum(['public', 'internal', 'confidential', 'restricted']).optional(),
  url: z.url().optional(),
});
export const appCatalog = z.array(app);

// ---------------------------------------------------------------------------------------------
// policy/sod.yaml

export const sodRule = z.strictObject({
  id: roleId,
  title: z.string().min(1).max(200),
  conflicting: z
    .array(entitlementRef)
    .min(2, 'needs at least two entitlements')
    .meta({ description: 'No one may hold two or more of these at the same time.' }),
  rationale: z.string().max(2000).optional(),
});
export const sodRules = z.array(sodRule);

// ---------------------------------------------------------------------------------------------
// policy/jml.yaml

// ---------------------------------------------------------------------------------------------
// policy/jml.yaml `hr:` the HR systems that drive people/ (jml hr sync)

/** The fields of an hr-snapshot/v1 record a CSV column can fill (src/hr/snapshot.ts). */
export const HR_FIELDS = [
  'sourceId',
  'workerType',
  'status',
  'preferredName',
  'legalName',
  'workEmail',
  'managerSourceId',
  'jobTitle',
  'jobFamily',
  'department',
  'timeZone',
  'startDate',
  'lastDayOfWork',
  'endInstant',
  'rehireOf',
  'asOf',
] as const;

/**
 * Prepended to the HR system's ids (sourceId, managerSourceId, rehireOf) so that people files can
 * tell systems apart: with `BHR-`, BambooHR's worker 1019 is `hrId: BHR-1019`.
 */
const idPrefix = z
  .string()
  .max(16)
  .regex(/^[A-Za-z0-9_-]*$/)
  .default('')
  .meta({ description: "Prepended to the HR system's ids, as people files carry them in hrId (like BHR-)." });

export const hrSource = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('csv'),
    idPrefix,
    file: z.string().min(1).meta({ description: 'The export to read, relative to the repository root.' }),
    source: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'The `source` written on each record (default: the source name).' }),
    columns: z
      .partialRecord(z.enum(HR_FIELDS), z.string().min(1))
      .meta({ description: 'Snapshot field -> the CSV column header that holds it.' }),
    values: z.record(z.string(), z.record(z.string(), z.string())).default({}).meta({
      description:
        'Per field, export value -> snapshot value (for example status: { Terminated: terminated }).',
    }),
  }),
  z.strictObject({
    kind: z.literal('bamboohr'),
    idPrefix,
    subdomain: z.string().regex(/^[a-z0-9-]+$/),
    apiKeyEnv: envName.default('BAMBOOHR_API_KEY'),
    baseUrl: z.url().default('https://api.bamboohr.com'),
    timeZone: z
      .string()
      .optional()
      .meta({ description: 'Worker time zone when BambooHR has none (default: the org time zone).' }),
    jobFamilyField: z.string().min(1).default('jobFamily').meta({
      description:
        'The BambooHR field (a custom field alias) that holds the job family; BambooHR has no standard one.',
    }),
  }),
  z.strictObject({
    kind: z.literal('workday'),
    idPrefix,
    reportUrl: z.url().meta({ description: 'The custom report (RaaS) URL, returning JSON (format=json).' }),
    usernameEnv: envName.default('WORKDAY_USERNAME'),
    passwordEnv: envName.default('WORKDAY_PASSWORD'),
  }),
  z.strictObject({
    kind: z.literal('hibob'),
    idPrefix,
    timeZone: z
      .string()
      .optional()
      .meta({ description: 'Worker time zone, as Bob gives none (default: the org time zone).' }),
    serviceUserIdEnv: envName.default('HIBOB_SERVICE_USER_ID'),
    tokenEnv: envName.default('HIBOB_TOKEN'),
    baseUrl: z.url().default('https://api.hibob.com'),
  }),
]);
export type HrSource = z.infer<typeof hrSource>;

export const hrSettings = z.strictObject({
  sources: z
    .record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a short name like bamboohr'), hrSource)
    .default({})
    .meta({ description: 'The HR systems jml hr sync --source NAME reads, by name.' }),
  jobFamilies: z.record(z.string().min(1), roleRef).default({}).meta({
    description:
      'HR job family -> role template. A worker whose family is missing here is reported, never guessed.',
  }),
  titles: z
    .record(z.string().min(1), roleRef)
    .default({})
    .meta({ description: 'HR job title -> role template; wins over the job family.' }),
  lastDayEndsAt: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be a time like 17:00 or 24:00')
    .default('24:00')
    .meta({
      description:
        "When a termination's last working day ends, in the worker's own time zone, when HR gives a date and no instant.",
    }),
  maxMissingShare: z.number().min(0).max(1).default(0.1).meta({
    description:
      'A snapshot that lacks more than this share of the active workers people/ holds for its source is a finding: the sync proposes no leaver from it and asks security.',
  }),
  webhookToleranceSeconds: z
    .number()
    .int()
    .positive()
    .default(300)
    .meta({ description: 'A webhook whose timestamp is older (or newer) than this is refused as a replay.' }),
});
export type HrSettings = z.infer<typeof hrSettings>;

// ---------------------------------------------------------------------------------------------
// policy/jml.yaml `reviews:` quarterly access reviews (jml review start)

export const reviewSettings = z.strictObject({
  inactivityDays: z.number().int().min(1).max(3650).default(90).meta({
    description: 'An account with no sign-in for this many days is flagged inactive in the review files.',
  }),
  dueDays: z
    .number()
    .int()
    .min(1)
    .max(180)
    .default(21)
    .meta({ description: 'Days from the start of a campaign to its due date (unless --due is given).' }),
  noResponse: z.enum(['keep', 'revoke']).default('keep').meta({
    description:
      'What happens at the due date to an item nobody decided: keep (and report a finding) or revoke.',
  }),
  highRiskNoResponse: z
    .enum(['keep', 'revoke'])
    .default('revoke')
    .meta({ description: 'The same for an undecided item of a high-risk entitlement.' }),
});
export type ReviewSettings = z.infer<typeof reviewSettings>;
export const REVIEW_DEFAULTS: ReviewSettings = {
  inactivityDays: 90,
  dueDays: 21,
  noResponse: 'keep',
  highRiskNoResponse: 'revoke',
};

export const policy = z.strictObject({
  organisation: z.strictObject({
    name: z.string().min(1),
    domain: z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, 'must be a domain like example.com'),
    emailDomains: z
      .array(z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, 'must be a domain like example.com'))
      .optional()
      .meta({
        description:
          "The domains a person's email may be at (default: organisation.domain only). An email anywhere else is refused by jml validate.",
      }),
  }),
  timezone: z
    .string()
    .min(1)
    .meta({ description: 'IANA time zone in which calendar dates are read, like America/New_York.' }),
  providers: z
    .strictObject(providerSections())
    .meta({ description: 'The identity providers this repository manages.' }),
  teams: z
    .strictObject({
      hr: z.array(personRef).min(1),
      security: z.array(personRef).min(1),
      it: z.array(personRef).default([]),
      leadership: z.array(personRef).default([]).meta({
        description:
          'Leadership (the executives): code owners of policy/ in the generated CODEOWNERS (jml codeowners). Without it, security owns policy/.',
      }),
    })
    .meta({ description: 'Teams named by the approval rules.' }),
  exceptions: z
    .strictObject({
      maxDays: z.number().int().min(1).max(366).default(90),
      warnDays: z.number().int().min(0).max(90).default(14),
    })
    .default({ maxDays: 90, warnDays: 14 }),
  sla: z
    .strictObject({
      leaverMinutes: z.number().int().min(1).default(60),
      highRiskLeaverMinutes: z.number().int().min(1).default(15),
      manualWorkHours: z.number().int().min(1).default(24).meta({
        description:
          "How long a manual-work issue (an app without SSO, a leaver's offboarding steps) may stay open before drift reports it.",
      }),
      dayOneHours: z.number().int().min(1).default(24).meta({
        description:
          "How long after a joiner's access is granted the manager may take to confirm it (/confirm) and IT to review it (/reviewed) before drift reports it (jml github day-one-status).",
      }),
    })
    .default({ leaverMinutes: 60, highRiskLeaverMinutes: 15, manualWorkHours: 24, dayOneHours: 24 }),
  safety: z
    .strictObject({
      maxRemovalShare: z
        .number()
        .min(0)
        .max(1)
        .default(0.25)
        .meta({ description: 'Largest share of a provider’s managed memberships one apply may remove.' }),
      removalShareFloor: z
        .number()
        .int()
        .min(0)
        .default(10)
        .meta({ description: 'Removals up to this count never trip the share guard (small organisations).' }),
      maxDisables: z.number().int().min(0).default(5).meta({
        description:
          'Most people one run may disable (each across all their accounts): an apply, a leaver run, or all the overdue cuts of one HR sync together.',
      }),
      maxDisableShare: z.number().min(0).max(1).default(0.1).meta({
        description:
          'Largest share of the active workforce one HR sync may cut off as overdue leavers; over it (or over maxDisables) the sync cuts nobody and asks security.',
      }),
      protectedAccounts: z
        .array(email)
        .default([])
        .meta({ description: 'Break-glass accounts that no plan may ever touch.' }),
    })
    .default({
      maxRemovalShare: 0.25,
      removalShareFloor: 10,
      maxDisables: 5,
      maxDisableShare: 0.1,
      protectedAccounts: [],
    }),
  retention: z
    .strictObject({
      accountDays: z
        .number()
        .int()
        .min(0)
        .default(90)
        .meta({ description: 'Days a leaver account is kept disabled before it may be deleted.' }),
      deleteAccounts: z.boolean().default(false).meta({
        description: 'Plan account deletion after the retention period (applied only with --allow-delete).',
      }),
      mailboxForwardTo: z.enum(['manager']).default('manager'),
    })
    .default({ accountDays: 90, deleteAccounts: false, mailboxForwardTo: 'manager' }),
  github: z
    .strictObject({
      approvalsAppId: z.number().int().positive().optional().meta({
        description:
          "The id of the GitHub App jml's trusted approvals workflow posts the `jml/approvals` check run as. Branch protection must require that check from this app (jml doctor checks it), so no other workflow can post a passing verdict. It is also the only writer of the evidence branch (jml-evidence), whose push restrictions must name it.",
      }),
    })
    .default({})
    .meta({ description: 'The GitHub settings the approval gate relies on (checked by jml doctor).' }),
  records: z
    .strictObject({ dir: z.string().min(1).default('.jml/records') })
    .default({ dir: '.jml/records' })
    .meta({ description: 'Where apply records are written.' }),
  hr: hrSettings.optional().meta({ description: 'The HR systems that drive people/ (jml hr sync).' }),
  reviews: reviewSettings.default(REVIEW_DEFAULTS).meta({
    description: 'Quarterly access reviews (jml review start): inactivity, due date, no-response policy.',
  }),
});

// ---------------------------------------------------------------------------------------------
// reviews/<quarter>/campaign.yaml and reviews/<quarter>/<reviewer>.yaml (jml review start)

/** A calendar quarter, `2027-Q1`: the folder name of a campaign under reviews/. */
export const quarter = z
  .string()
  .regex(/^[0-9]{4}-Q[1-4]$/, 'must be a quarter written YYYY-Qn, like 2027-Q1')
  .meta({ description: 'A calendar quarter, YYYY-Qn.', examples: ['2027-Q1'] });

/** The file name (without .yaml) of the review file of the security team. */
export const SECURITY_REVIEW_FILE = 'security';

export const reviewCampaign = z.strictObject({
  quarter: quarter.meta({ description: 'The quarter; equals the folder name.' }),
  startedAt: instant.meta({
    description: 'The instant the provider state was read (jml review start --at).',
  }),
  due: calendarDate.meta({ description: 'Every item must be decided before the start of this day.' }),
  commit: z
    .string()
    .regex(/^[0-9a-f]{40}$/)
    .nullable()
    .meta({ description: 'The commit of this repository the campaign was started from (null outside git).' }),
  exportFingerprint: z
    .strictObject({
      plan: z
        .string()
        .regex(/^sha256:[0-9a-f]{64}$/)
        .meta({
          description: 'The plan fingerprint of the provider state read (the one jml plan prints for it).',
        }),
      sha256: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .meta({ description: 'sha256 of the export: the canonical JSON of the provider state read.' }),
    })
    .meta({ description: 'The provider export the campaign was taken from.' }),
  scope: z
    .array(z.strictObject({ provider: providerName, simulated: z.boolean() }))
    .min(1)
    .meta({ description: 'The providers read.' }),
  noResponse: z
    .enum(['keep', 'revoke'])
    .meta({ description: 'An undecided item at the due date is kept (with a finding) or revoked.' }),
  highRiskNoResponse: z.enum(['keep', 'revoke']).meta({ description: 'The same for a high-risk item.' }),
  inactivityDays: z.number().int().min(1),
  reviewers: z
    .array(
      z.strictObject({
        file: z
          .string()
          .min(1)
          .meta({ description: 'The reviewer file, reviews/<quarter>/<reviewer>.yaml.' }),
        reviewer: personId,
        items: z.number().int().min(0),
      }),
    )
    .meta({ description: 'Every reviewer file of the campaign and how many items it holds.' }),
  items: z.number().int().min(0).meta({ description: 'The population: items in all reviewer files.' }),
});

export const reviewSource = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('role'),
    id: roleId.meta({ description: 'The role template that lists the entitlement.' }),
    at: z.string().meta({ description: "The person's role entry, file:line." }),
    listed: z.string().optional().meta({ description: 'Where the template lists it, file:line.' }),
  }),
  z.strictObject({
    kind: z.literal('exception'),
    id: exceptionId,
    at: z.string().meta({ description: 'The exception file, file:line.' }),
    expires: calendarDate,
  }),
  z.strictObject({
    kind: z.literal('orphaned').meta({ description: 'Held on the provider, granted by nothing in git.' }),
  }),
]);

export const reviewDecision = z.enum(['pending', 'keep', 'revoke', 'dont-know']).meta({
  description:
    'pending until decided: keep, revoke or dont-know (revoke and dont-know need a justification).',
});

export const reviewItem = z.strictObject({
  id: z.string().min(1).meta({ description: 'Stable id: <person or account>/<provider>/<entitlement>.' }),
  person: personId
    .nullable()
    .meta({ description: 'The person in people/, or null for an account that belongs to nobody.' }),
  account: z.string().min(1).meta({ description: 'The login on the provider.' }),
  provider: providerName,
  entitlement: entitlementId,
  target: z.string().min(1).meta({ description: 'The group, app or license as the provider names it.' }),
  risk: z.enum(['low', 'medium', 'high']),
  source: reviewSource,
  accountEnabled: z
    .boolean()
    .meta({ description: 'Whether the account can sign in (always true on manual).' }),
  lastSignIn: z
    .union([instant, z.literal('never')])
    .nullable()
    .meta({
      description: 'Last sign-in the provider reports; never; or null when the provider does not say.',
    }),
  inactive: z.boolean().nullable().meta({ description: 'No sign-in for inactivityDays (null: unknown).' }),
  exceptionExpiresSoon: z.boolean(),
  decision: reviewDecision,
  justification: z.string().max(2000),
});

export const reviewFile = z.strictObject({
  quarter: quarter.meta({ description: 'The quarter; equals the folder name.' }),
  reviewer: personId.meta({
    description: 'Who decides these items (the file name, or a security team member for security.yaml).',
  }),
  items: z.array(reviewItem),
});

export type ReviewCampaign = z.infer<typeof reviewCampaign>;
export type ReviewFile = z.infer<typeof reviewFile>;
export type ReviewItem = z.infer<typeof reviewItem>;

export type Person = z.infer<typeof person>;
export type PersonInput = z.input<typeof person>;
export type Role = z.infer<typeof role>;
export type Exception = z.infer<typeof exception>;
export type Entitlement = z.infer<typeof entitlement>;
export type App = z.infer<typeof app>;
export type SodRule = z.infer<typeof sodRule>;
export type Policy = z.infer<typeof policy>;

/** The kinds of file a repository holds, each with its schema and where it lives. */
export const fileKinds = {
  policy: { schema: policy, file: 'policy/jml.yaml' },
  entitlements: { schema: entitlementCatalog, file: 'policy/entitlements.yaml' },
  apps: { schema: appCatalog, file: 'policy/apps.yaml' },
  sod: { schema: sodRules, file: 'policy/sod.yaml' },
  person: { schema: person, dir: 'people' },
  role: { schema: role, dir: 'roles' },
  exception: { schema: exception, dir: 'exceptions' },
  'review-campaign': { schema: reviewCampaign, dir: 'reviews' },
  review: { schema: reviewFile, dir: 'reviews' },
} as const;
export type FileKind = keyof typeof fileKinds;

/**
 * Where the editor's schemas are read from: `.jml/schemas/`, git-ignored, written by
 * `jml schemas --local` (and `npm ci`) with the organisation's own ids (src/engine/schemas.ts).
 */
export const LOCAL_SCHEMA_DIR = '.jml/schemas';

/**
 * The first line of a data file (without its `# `), naming its local schema: `depth` is how many
 * folders down from the repository root the file lies (1 for people/, 2 for reviews/<quarter>/).
 */
export function schemaLine(kind: FileKind, depth: number): string {
  return `yaml-language-server: $schema=${'../'.repeat(depth)}${LOCAL_SCHEMA_DIR}/${kind}.schema.json`;
}
