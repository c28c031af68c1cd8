/**
 * GitHub's own description of its REST API, as the fidelity tests use it: the subset of the
 * official OpenAPI document a JML repository needs (vendor-specs/github-rest-subset.json, cut
 * unchanged and fully dereferenced from @octokit/openapi). On top of the shared reading
 * (test/fakes/openapi.ts): GitHub answers some errors on every operation whether or not the
 * operation lists them (docs.github.com "Troubleshooting the REST API": 400 problems parsing
 * JSON, 401, 403 rate limit or permission, 404, 422 validation failed), and 404 for a path it
 * does not have. Those are checked against the shapes the same file documents elsewhere: "Basic
 * Error" (the 404 of GET issues/{n}) and "Validation Error" (the 422 of POST issues).
 */
import { readFileSync } from 'node:fs';
import { type OpenApiDocument, OpenApiSpec } from '../openapi.js';

export const GITHUB_SPEC_FILE = '/work/shared/vendor-specs/github-rest-subset.json';

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
  constructor(file = GITHUB_SPEC_FILE) {
    super(JSON.parse(readFileSync(file, 'utf8')) as OpenApiDocument, 'github', ['path']);
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
