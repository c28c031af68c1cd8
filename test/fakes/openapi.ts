/**
 * A vendor's own OpenAPI 3.0 description, as the fakes' fidelity tests use it: which operations
 * exist, and whether an answer's body matches the response schema the vendor documents for that
 * operation and status. Schema objects are turned into JSON Schema for ajv: `nullable` becomes a
 * `null` type, a `oneOf` with a discriminator mapping selects its branch by the property's value,
 * and OpenAPI-only keywords are dropped. Formats are checked (ajv-formats: `uri`, `date-time`,
 * `email`, `int64`...): an answer GitHub's description calls a URI must be one, so a bot's
 * `users/github-actions[bot]` URL, which real GitHub sends percent-encoded, fails here. A format
 * the description names that no checker knows (GitHub's `repo.nwo`, Okta's `opaque`) is listed in
 * `uncheckedFormats` rather than passed over unseen. Shared by the Okta and GitHub fakes; each adds
 * what its vendor answers beyond the description (GitHub's generic error shapes, for one).
 */
import AjvModule, { type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

interface ResponseObject {
  $ref?: string;
  content?: Record<string, { schema?: unknown }>;
}

export interface OpenApiOperation {
  responses?: Record<string, ResponseObject>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, unknown> } & Record<string, unknown>;
}

const DROPPED = new Set([
  'discriminator',
  'xml',
  'externalDocs',
  'example',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
]);
const METHODS = new Set(['get', 'put', 'post', 'patch', 'delete', 'head', 'options']);
// ajv-formats is CommonJS with a default export.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule) as unknown as (ajv: unknown) => void;

/** Every `format` a document names, sorted. */
function formatsOf(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const x of node) formatsOf(x, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'format' && typeof v === 'string') out.add(v);
      else formatsOf(v, out);
    }
  }
  return out;
}

interface Discriminator {
  propertyName: string;
  mapping?: Record<string, string>;
}

/**
 * `oneOf` + `discriminator` selects one schema by a property's value (Okta's Application by
 * signOnMode); plain `oneOf` would demand that exactly one branch matches, which loose branches
 * break. Rewritten as if/then per mapped value.
 */
function selectByDiscriminator(d: Discriminator): Record<string, unknown> {
  const entries = Object.entries(d.mapping ?? {});
  return {
    required: [d.propertyName],
    properties: { [d.propertyName]: { enum: entries.map(([value]) => value) } },
    allOf: entries.map(([value, $ref]) => ({
      if: { properties: { [d.propertyName]: { const: value } } },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, never awaited.
      then: { $ref },
    })),
  };
}

/** OpenAPI 3.0 schema object -> JSON Schema that ajv understands. */
export function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const d = (node as { discriminator?: Discriminator }).discriminator;
  if (d?.mapping && (node as { oneOf?: unknown }).oneOf) return selectByDiscriminator(d);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (DROPPED.has(k) || k.startsWith('x-') || k === 'nullable') continue;
    out[k] =
      k === 'properties'
        ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, toJsonSchema(s)]))
        : toJsonSchema(v);
  }
  if ((node as { nullable?: boolean }).nullable) {
    if (out.allOf || out.oneOf || out.anyOf || out.$ref) return { anyOf: [out, { type: 'null' }] };
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  return out;
}

/** What the description says of one answer: a validator, no JSON body, or nothing at all. */
export type DocumentedResponse = ValidateFunction | 'no-body' | 'undocumented';

export class OpenApiSpec {
  protected readonly ajv;
  private readonly templates: { method: string; template: string; pattern: RegExp }[] = [];
  private readonly compiled = new Map<string, DocumentedResponse>();
  /** Formats the description names that no checker knows: accepted as any value of their type. */
  readonly uncheckedFormats: string[] = [];

  /**
   * @param id the ajv id the components are registered under
   * @param greedy path parameters that span slashes (GitHub's `{path}` in contents/{path})
   */
  constructor(
    readonly spec: OpenApiDocument,
    protected readonly id: string,
    greedy: readonly string[] = [],
  ) {
    const Ajv = AjvModule.default;
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
    for (const format of [...formatsOf(spec)].sort()) {
      if (this.ajv.formats[format]) continue;
      this.ajv.addFormat(format, true);
      this.uncheckedFormats.push(format);
    }
    this.ajv.addSchema({ $id: id, components: { schemas: toJsonSchema(spec.components?.schemas ?? {}) } });
    for (const [template, ops] of Object.entries(spec.paths)) {
      let source = template;
      for (const g of greedy) source = source.replaceAll(`{${g}}`, '\u0000');
      const pattern = new RegExp(`^${source.replace(/\{[^}]+\}/g, '[^/]+').replaceAll('\u0000', '.+')}$`);
      for (const method of Object.keys(ops)) {
        if (METHODS.has(method)) this.templates.push({ method: method.toUpperCase(), template, pattern });
      }
    }
  }

  /** Every documented method + path template. */
  operations(): string[] {
    return this.templates.map((t) => `${t.method} ${t.template}`);
  }

  /** The documented path template for a request, preferring literal segments over parameters. */
  operation(method: string, path: string): string | undefined {
    const pathname = decodeURIComponent(path.split('?')[0]!);
    const hits = this.templates.filter((t) => t.method === method && t.pattern.test(pathname));
    hits.sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0));
    return hits[0]?.template;
  }

  /** The documented answer of an operation for a status (compiled once). */
  response(method: string, template: string, status: number): DocumentedResponse {
    const key = `${method} ${template} ${status}`;
    let found = this.compiled.get(key);
    if (!found) {
      let response = this.spec.paths[template]?.[method.toLowerCase()]?.responses?.[String(status)];
      if (response?.$ref) response = this.resolve(response.$ref) as ResponseObject;
      const schema = response?.content?.['application/json']?.schema;
      found = !response
        ? 'undocumented'
        : !schema
          ? 'no-body'
          : this.ajv.compile(this.rebase(toJsonSchema(schema)) as object);
      this.compiled.set(key, found);
    }
    return found;
  }

  /** Validation errors of a body against a compiled schema, labelled. */
  protected errorsOf(validate: ValidateFunction, label: string, body: unknown): string[] {
    return validate(body)
      ? []
      : (validate.errors ?? []).map((e) => `${label}: ${e.instancePath} ${e.message}`);
  }

  /** Resolves a local `$ref` (a JSON pointer into the document). */
  protected resolve(ref: string): unknown {
    if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
    let node: unknown = this.spec;
    for (const part of ref.slice(2).split('/'))
      node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    return node;
  }

  /** Points a response schema's local refs at the registered components. */
  private rebase(schema: unknown): unknown {
    return JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, `"${this.id}#/components/`));
  }
}
