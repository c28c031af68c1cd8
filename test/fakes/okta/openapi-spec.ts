/**
 * Okta's own description of its management API (test/fakes/vendor-specs/okta-management-openapi.yaml, copied in with its licence), as
 * the fidelity tests use it, read by the shared OpenAPI helper (test/fakes/openapi.ts). Okta
 * documents some body-less answers that real Okta sends as `{}` (activate with sendEmail=true).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { type OpenApiDocument, OpenApiSpec } from '../openapi.js';

const SPEC_FILE = fileURLToPath(new URL('../vendor-specs/okta-management-openapi.yaml', import.meta.url));

export class OktaOpenApi extends OpenApiSpec {
  constructor(file = SPEC_FILE) {
    super(yaml.load(readFileSync(file, 'utf8')) as OpenApiDocument, 'okta');
  }

  /** Validation errors of a body against the documented response (empty when it matches). */
  validate(method: string, path: string, status: number, body: unknown): string[] {
    const template = this.operation(method, path);
    if (!template) return [`${method} ${path} is not in Okta's API description`];
    const key = `${method} ${template} ${status}`;
    const documented = this.response(method, template, status);
    if (documented === 'undocumented') return [`${key}: Okta documents no ${status} answer`];
    if (documented === 'no-body') {
      const empty =
        body === undefined || (typeof body === 'object' && body !== null && Object.keys(body).length === 0);
      return empty ? [] : [`${key}: documented without a JSON body`];
    }
    return this.errorsOf(documented, key, body);
  }

  /** Validation errors of a body against one of the spec's component schemas. */
  validateSchema(name: string, body: unknown): string[] {
    const validate = this.ajv.getSchema(`okta#/components/schemas/${name}`);
    if (!validate) return [`no schema ${name}`];
    return this.errorsOf(validate, name, body);
  }
}
