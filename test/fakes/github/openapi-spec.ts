/**
 * GitHub's own description of its REST API, as the fidelity tests use it: the subset of the
 * official OpenAPI document a JML repository needs (vendor-specs/github-rest-subset.json, cut
 * unchanged and fully dereferenced from @octokit/openapi). Which operations exist, and whether
 * an answer's body matches the response schema GitHub documents for that operation and status.
 * OpenAPI 3.0 schema objects are turned into JSON Schema for ajv: `nullable` becomes a `null`
 * type and OpenAPI-only keywords are dropped. Local `$ref`s (none in the dereferenced subset
 * today) resolve against the document itself.
 */
import { readFileSync } from 'node:fs';
import AjvModule, { type ValidateFunction } from 'ajv';

export const GITHUB_SPEC_FILE = '/work/shared/vendor-specs/github-rest-subset.json';

interface MediaType {
  schema?: unknown;
}

interface ResponseObject {
  $ref?: string;
  content?: Record<string, MediaType>;
}

interface Operation {
  responses?: Record<string, ResponseObject>;
}

interface Spec {
  paths: Record<string, Record<string, Operation>>;
  components?: Record<string, Record<string, unknown>>;
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

/** OpenAPI 3.0 schema object -> JSON Schema that ajv understands. */
export function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
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

export class GitHubOpenApi {
  readonly spec: Spec;
  private readonly ajv;
  private readonly templates: { method: string; template: string; pattern: RegExp }[] = [];
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(file = GITHUB_SPEC_FILE) {
    this.spec = JSON.parse(readFileSync(file, 'utf8')) as Spec;
    const Ajv = AjvModule.default;
    this.ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
    this.ajv.addSchema({ $id: 'github', components: toJsonSchema(this.spec.components ?? {}) });
    for (const [template, ops] of Object.entries(this.spec.paths)) {
      // `{path}` in contents/{path} spans slashes; every other parameter is one segment.
      const pattern = new RegExp(`^${template.replace(/\{path\}/g, '.+').replace(/\{[^}]+\}/g, '[^/]+')}$`);
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

  /**
   * Validation errors of a body against the documented response (empty when it matches).
   * GitHub answers some errors on every operation whether or not the operation lists them
   * (docs.github.com "Troubleshooting the REST API": 400 problems parsing JSON, 401, 403 rate
   * limit or permission, 404, 422 validation failed), and 404 for a path it does not have. Those
   * are checked against the shapes the same file documents elsewhere: "Basic Error" (the 404 of
   * GET issues/{n}) and "Validation Error" (the 422 of POST issues).
   */
  validate(method: string, path: string, status: number, body: unknown): string[] {
    const template = this.operation(method, path);
    if (!template) {
      if (status === 404 || status === 401) return this.generic(`${method} ${path} ${status}`, 'basic', body);
      return [`${method} ${path} is not in GitHub's API description`];
    }
    const key = `${method} ${template} ${status}`;
    let validate = this.compiled.get(key);
    if (!validate) {
      let response = this.spec.paths[template]![method.toLowerCase()]!.responses?.[String(status)];
      if (!response && [400, 401, 403, 404].includes(status)) return this.generic(key, 'basic', body);
      if (!response && status === 422) return this.generic(key, 'validation', body);
      if (!response) return [`${key}: GitHub documents no ${status} answer`];
      if (response.$ref) response = this.resolve(response.$ref) as ResponseObject;
      const schema = response?.content?.['application/json']?.schema;
      if (!schema) {
        return body === undefined ? [] : [`${key}: documented without a JSON body`];
      }
      validate = this.ajv.compile(this.rebase(toJsonSchema(schema)) as object);
      this.compiled.set(key, validate);
    }
    return validate(body) ? [] : (validate.errors ?? []).map((e) => `${key}: ${e.instancePath} ${e.message}`);
  }

  private generic(key: string, kind: 'basic' | 'validation', body: unknown): string[] {
    const [path, method, status] =
      kind === 'basic'
        ? ['/repos/{owner}/{repo}/issues/{issue_number}', 'get', '404']
        : ['/repos/{owner}/{repo}/issues', 'post', '422'];
    let validate = this.compiled.get(`generic ${kind}`);
    if (!validate) {
      const schema =
        this.spec.paths[path]?.[method]?.responses?.[status]?.content?.['application/json']?.schema;
      if (!schema) throw new Error(`the GitHub subset has no ${kind} error schema`);
      validate = this.ajv.compile(toJsonSchema(schema) as object);
      this.compiled.set(`generic ${kind}`, validate);
    }
    const label = kind === 'basic' ? 'Basic Error' : 'Validation Error';
    return validate(body)
      ? []
      : (validate.errors ?? []).map((e) => `${key} (${label}): ${e.instancePath} ${e.message}`);
  }

  private resolve(ref: string): unknown {
    if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
    let node: unknown = this.spec;
    for (const part of ref.slice(2).split('/'))
      node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    return node;
  }

  /** Points a response schema's local refs at the registered components. */
  private rebase(schema: unknown): unknown {
    return JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"github#/components/'));
  }
}
