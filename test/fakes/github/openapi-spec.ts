/**
 * GitHub's own description of its REST API, as the fidelity tests use it: the subset of the
 * official OpenAPI document a JML repository needs (test/fakes/vendor-specs/github-rest-subset.json, cut
 * unchanged and fully dereferenced from @octokit/openapi). On top of the shared reading
 * (test/fakes/openapi.ts): GitHub answers some errors on every operation whether or not the
 * operation lists them (docs.github.com "Troubleshooting the REST API": 400 problems parsing
 * JSON, 401, 403 rate limit or permission, 404, 422 validation failed), and 404 for a path it
 * does not have. Those are checked against the shapes the same file documents elsewhere: "Basic
 * Error" (the 404 of GET issues/{n}) and "Validation Error" (the 422 of POST issues).
 *
 * The shared subset is read-only here; the operations the fake serves beyond it (requesting
 * reviewers, the pull requests of a commit) are cut the same way, unchanged, into
 * github-rest-extra.json beside this file and merged in. Where an error answer is documented
 * as a `oneOf` of loose objects (the 409 of PUT contents: "Basic Error" or "Repository rule
 * violation", which any error body satisfies both of), it is read as `anyOf`: as written, no
 * answer GitHub gives could match exactly one.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type OpenApiDocument, OpenApiSpec } from '../openapi.js';

export const GITHUB_SPEC_FILE = fileURLToPath(
  new URL('../vendor-specs/github-rest-subset.json', import.meta.url),
);
/** Operations beyond the shared subset, from the same @octokit/openapi 23.0.2 document. */
export const GITHUB_EXTRA_SPEC_FILE = fileURLToPath(new URL('./github-rest-extra.json', import.meta.url));

const GENERIC = {
  basic: {
    label: 'Basic Error',
    method: 'GET',
    template: '/repos/{owner}/{repo}/issues/{issue_number}',
    status: 404,
  },
  validation: {
    label: 'Validation Error',
    method: 'POST',
    template: '/repos/{owner}/{repo}/issues',
    status: 422,
  },
} as const;

export class GitHubOpenApi extends OpenApiSpec {
  constructor(file = GITHUB_SPEC_FILE, extra = GITHUB_EXTRA_SPEC_FILE) {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as OpenApiDocument;
    const more = JSON.parse(readFileSync(extra, 'utf8')) as OpenApiDocument;
    for (const [template, ops] of Object.entries(more.paths))
      doc.paths[template] = { ...doc.paths[template], ...ops };
    for (const ops of Object.values(doc.paths))
      for (const op of Object.values(ops))
        for (const [status, response] of Object.entries(op.responses ?? {}))
          if (Number(status) >= 400) errorOneOfAsAnyOf(response.content?.['application/json']);
    super(doc, 'github', ['path']);
  }

  /** Validation errors of a body against the documented response (empty when it matches). */
  validate(method: string, path: string, status: number, body: unknown): string[] {
    const template = this.operation(method, path);
    if (!template) {
      if (status === 404 || status === 401) return this.generic(`${method} ${path} ${status}`, 'basic', body);
      return [`${method} ${path} is not in GitHub's API description`];
    }
    const key = `${method} ${template} ${status}`;
    const documented = this.response(method, template, status);
    if (documented === 'undocumented') {
      if ([400, 401, 403, 404].includes(status)) return this.generic(key, 'basic', body);
      if (status === 422) return this.generic(key, 'validation', body);
      return [`${key}: GitHub documents no ${status} answer`];
    }
    if (documented === 'no-body') return body === undefined ? [] : [`${key}: documented without a JSON body`];
    return this.errorsOf(documented, key, body);
  }

  private generic(key: string, kind: keyof typeof GENERIC, body: unknown): string[] {
    const g = GENERIC[kind];
    const documented = this.response(g.method, g.template, g.status);
    if (typeof documented === 'string') throw new Error(`the GitHub subset has no ${g.label} schema`);
    return this.errorsOf(documented, `${key} (${g.label})`, body);
  }
}

/** An error body documented as `oneOf` overlapping loose objects, read as `anyOf`. */
function errorOneOfAsAnyOf(media: { schema?: unknown } | undefined): void {
  const schema = media?.schema as { oneOf?: unknown[]; anyOf?: unknown[] } | undefined;
  if (!schema?.oneOf) return;
  schema.anyOf = schema.oneOf;
  delete schema.oneOf;
}
