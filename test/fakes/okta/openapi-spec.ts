/**
 * Okta's own description of its management API (vendor-specs/okta-management-openapi.yaml), as
 * the fidelity tests use it: which operations exist, and whether an answer's body matches the
 * response schema Okta documents for that operation and status. OpenAPI 3.0 schemas are turned
 * into JSON Schema for ajv: `nullable` becomes a `null` type, OpenAPI-only keywords are dropped.
 */
import { readFileSync } from 'node:fs';
import AjvModule, { type ValidateFunction } from 'ajv';
import yaml from 'js-yaml';

const SPEC_FILE = '/work/shared/vendor-specs/okta-management-openapi.yaml';

interface Operation {
  responses?: Record<string, { $ref?: string; content?: Record<string, { schema?: unknown }> }>;
}

interface Spec {
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, unknown>;
    responses: Record<string, Operation['responses'] extends infer R ? R[keyof R] : never>;
  };
}

const DROPPED = new Set(['discriminator', 'xml', 'externalDocs', 'example', 'examples', 'deprecated']);

interface Discriminator {
  propertyName: string;
  mapping?: Record<string, string>;
}

/**
 * `oneOf` + `discriminator` selects one schema by a property's value (Application by
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

/** OpenAPI 3.0 schema object -> JSON Schema (draft 7) that ajv understands. */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const d = (node as { discriminator?: Discriminator; oneOf?: unknown }).discriminator;
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
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
    if (out.allOf || out.oneOf || out.anyOf || out.$ref) return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

export class OktaOpenApi {
  private readonly spec: Spec;
  private readonly ajv;
  private readonly templates: { method: string; template: string; pattern: RegExp }[] = [];
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(file = SPEC_FILE) {
    this.spec = yaml.load(readFileSync(file, 'utf8')) as Spec;
    const Ajv = AjvModule.default;
    this.ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
    this.ajv.addSchema({ $id: 'okta', components: { schemas: toJsonSchema(this.spec.components.schemas) } });
    for (const [template, ops] of Object.entries(this.spec.paths)) {
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      for (const method of Object.keys(ops))
        this.templates.push({ method: method.toUpperCase(), template, pattern });
    }
  }

  /** The documented path template for a request, preferring literal segments over parameters. */
  operation(method: string, path: string): string | undefined {
    const pathname = path.split('?')[0]!;
    const hits = this.templates.filter((t) => t.method === method && t.pattern.test(pathname));
    hits.sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0));
    return hits[0]?.template;
  }

  /** Validation errors of a body against the documented response (empty when it matches). */
  validate(method: string, path: string, status: number, body: unknown): string[] {
    const template = this.operation(method, path);
    if (!template) return [`${method} ${path} is not in Okta's API description`];
    const key = `${method} ${template} ${status}`;
    let validate = this.compiled.get(key);
    if (!validate) {
      let response = this.spec.paths[template]![method.toLowerCase()]!.responses?.[String(status)];
      if (!response) return [`${key}: Okta documents no ${status} answer`];
      if (response.$ref) response = this.spec.components.responses[response.$ref.split('/').pop()!];
      const schema = response?.content?.['application/json']?.schema;
      if (!schema)
        return body === undefined ||
          (typeof body === 'object' && body !== null && Object.keys(body).length === 0)
          ? []
          : [`${key}: documented without a JSON body`];
      validate = this.ajv.compile(this.rebase(toJsonSchema(schema)) as object);
      this.compiled.set(key, validate);
    }
    return validate(body) ? [] : (validate.errors ?? []).map((e) => `${key}: ${e.instancePath} ${e.message}`);
  }

  /** Validation errors of a body against one of the spec's component schemas. */
  validateSchema(name: string, body: unknown): string[] {
    const validate = this.ajv.getSchema(`okta#/components/schemas/${name}`);
    if (!validate) return [`no schema ${name}`];
    return validate(body)
      ? []
      : (validate.errors ?? []).map((e) => `${name}: ${e.instancePath} ${e.message}`);
  }

  /** Points a response schema's local refs at the registered components. */
  private rebase(schema: unknown): unknown {
    return JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"okta#/components/'));
  }
}
