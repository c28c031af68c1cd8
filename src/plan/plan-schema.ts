/**
 * A plan file read back (`jml apply --plan plan.json`): the one place a Plan enters the engine
 * from outside, so it is checked field by field against the documented Plan (src/plan/
 * plan-types.ts) before anything trusts it. A file that is not JSON, not a plan, a plan of
 * another schema version, or a plan edited into a shape the engine never writes is refused with
 * the file, the field and what to do; nothing is applied from it.
 *
 * The schema is strict (an unknown field is refused, as in the model): a plan is the engine's
 * own output, so anything it would not write is a sign the file was edited after review.
 */
import { z } from 'zod';
import { ENTITLEMENT_KINDS } from '../model/providers.js';
import { providerName } from '../model/schema.js';
import {
  ACTIONS,
  type Change,
  type JmlEvent,
  type JmlEventKind,
  PLAN_SCHEMA_VERSION,
  type Plan,
  type ProviderSummary,
  type Reported,
} from './plan-types.js';

const JML_EVENT_KINDS = ['joiner', 'mover', 'leaver', 'pre-start', 'update', 'unknown-account'] as const;

const count = z.number().int().nonnegative();
const targetRef = z.strictObject({ kind: z.enum(ENTITLEMENT_KINDS), target: z.string() });

const jmlEvent = z.strictObject({
  kind: z.enum(JML_EVENT_KINDS),
  date: z.string().optional(),
  highRisk: z.literal(true).optional(),
});

const change = z.strictObject({
  id: z.string().min(1),
  action: z.enum(ACTIONS),
  provider: providerName,
  login: z.string().min(1),
  person: z.string().min(1).nullable(),
  entitlement: z.string().min(1).optional(),
  target: targetRef.optional(),
  operation: z.enum(['grant', 'revoke']).optional(),
  displayName: z.string().optional(),
  manager: z.string().optional(),
  event: jmlEvent,
  because: z.array(z.string()),
});

const providerSummary = z.strictObject({
  name: providerName,
  simulated: z.boolean(),
  users: count,
  memberships: count,
  outOfScopeAccounts: count,
});

const reported = z.strictObject({
  kind: z.enum(['additive-member', 'protected-account']),
  provider: providerName,
  login: z.string(),
  target: targetRef.optional(),
  reason: z.string(),
});

/** The Plan as JSON: the same fields and rules as the `Plan` type, checked at run time. */
export const planSchema = z.strictObject({
  schemaVersion: z.literal(PLAN_SCHEMA_VERSION),
  commit: z.string().min(1).nullable(),
  at: z.iso.datetime(),
  fingerprint: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected sha256: and 64 hex digits'),
  providers: z.array(providerSummary),
  changes: z.array(change),
  reported: z.array(reported),
  summary: z.partialRecord(z.enum(ACTIONS), count),
});

// The schema and the documented types must describe the same value: each line fails to compile
// when a field is added to one and not the other.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agrees: [
  Same<z.output<typeof planSchema>, Plan>,
  Same<z.output<typeof change>, Change>,
  Same<z.output<typeof jmlEvent>, JmlEvent>,
  Same<(typeof JML_EVENT_KINDS)[number], JmlEventKind>,
  Same<z.output<typeof providerSummary>, ProviderSummary>,
  Same<z.output<typeof reported>, Reported>,
] = [true, true, true, true, true, true];
void agrees;

export type PlanFileResult = { ok: true; plan: Plan } | { ok: false; message: string };

const REMAKE = 'make the plan again with jml plan --out, review it, and apply that file';

/** `changes[3].action`, from a zod issue's path. */
function fieldOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || '(the whole file)';
}

/**
 * Reads the text of a plan file named `file` (as the user gave it, for the messages). Returns
 * the Plan, or why it is refused: not JSON, not a plan (no schemaVersion), another schema
 * version, or a field the engine would never write (its path, what is wrong, and what to do).
 */
export function parsePlanFile(text: string, file: string): PlanFileResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return {
      ok: false,
      message: `${file} is not JSON (${(e as Error).message}): give the file jml plan --out wrote.`,
    };
  }
  const version =
    json !== null && typeof json === 'object' && !Array.isArray(json)
      ? (json as Record<string, unknown>).schemaVersion
      : undefined;
  if (version === undefined)
    return {
      ok: false,
      message: `${file} is not a jml plan (it has no schemaVersion): give the file jml plan --out wrote.`,
    };
  if (version !== PLAN_SCHEMA_VERSION)
    return {
      ok: false,
      message: `${file} is a plan of schema version ${JSON.stringify(version)}, and this engine applies version ${PLAN_SCHEMA_VERSION}: ${REMAKE}.`,
    };
  const parsed = planSchema.safeParse(json);
  if (parsed.success) return { ok: true, plan: parsed.data };
  const shown = parsed.error.issues.slice(0, 3).map((i) => `${fieldOf(i.path)}: ${i.message}`);
  const more = parsed.error.issues.length - shown.length;
  return {
    ok: false,
    message: `${file} is not a plan jml writes (${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}). It may have been edited after review: ${REMAKE}.`,
  };
}
