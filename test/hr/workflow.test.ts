/**
 * hr-sync.yml and the HR brake: the override is a workflow_dispatch input that reaches jml only
 * through env:, only on the default branch, and every trigger (the hourly run, a webhook relay's
 * repository_dispatch, a run by hand) goes through the one sync step, so none of them passes the
 * brake by another path. The step scripts are run for real with bash, `npx` stubbed to record
 * what jml would have been given.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cleanTempDirs, tempDir } from '../engine/helpers.js';

const FILE = path.resolve(import.meta.dirname, '../../.github/workflows/hr-sync.yml');

interface Step {
  name?: string;
  id?: string;
  if?: string;
  run?: string;
  env?: Record<string, string>;
}
interface Workflow {
  on: {
    schedule: unknown;
    repository_dispatch: unknown;
    workflow_dispatch: { inputs: Record<string, { type: string; default?: unknown }> };
  };
  jobs: Record<string, { steps: Step[] }>;
}
const wf = parse(readFileSync(FILE, 'utf8')) as Workflow;
const steps = Object.values(wf.jobs).flatMap((j) => j.steps);
const syncStep = steps.find((s) => s.id === 'sync')!;
const verdictStep = steps.find((s) => s.env?.CODE !== undefined)!;

afterAll(cleanTempDirs);

/** Runs a step's script with bash and the given environment; `npx` only records its arguments. */
function runStep(step: Step, env: Record<string, string>, npxExit = 0) {
  const dir = tempDir('jml-hr-workflow-');
  const bin = path.join(dir, 'bin');
  const args = path.join(dir, 'npx-args');
  writeFileSync(path.join(dir, 'output'), '');
  writeFileSync(path.join(dir, 'summary'), '');
  mkdirSync(bin);
  writeFileSync(
    path.join(bin, 'npx'),
    `#!/usr/bin/env bash\nprintf '%s\\n' "$@" > ${JSON.stringify(args)}\nexit ${npxExit}\n`,
  );
  chmodSync(path.join(bin, 'npx'), 0o755);
  // As GitHub runs a `run:` step: bash -e {0}.
  const r = spawnSync('bash', ['-e', '-c', step.run!], {
    cwd: dir,
    encoding: 'utf8',
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      GITHUB_OUTPUT: path.join(dir, 'output'),
      GITHUB_STEP_SUMMARY: path.join(dir, 'summary'),
      ...env,
    },
  });
  let jmlArgs: string[] | undefined;
  try {
    jmlArgs = readFileSync(args, 'utf8').trim().split('\n');
  } catch {
    jmlArgs = undefined;
  }
  return {
    status: r.status,
    out: r.stdout + r.stderr,
    jmlArgs,
    output: readFileSync(path.join(dir, 'output'), 'utf8'),
  };
}

const dispatched = {
  SOURCE: 'bamboohr',
  DRY_RUN: 'false',
  ALLOW_MASS_DISABLE: 'false',
  REF: 'refs/heads/main',
  DEFAULT_BRANCH: 'main',
};

describe('hr-sync.yml and the HR brake', () => {
  it('allow-mass-disable is a boolean input of a run by hand only, off by default, passed through env:', () => {
    expect(wf.on.workflow_dispatch.inputs['allow-mass-disable']).toMatchObject({
      type: 'boolean',
      default: false,
    });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, not a JS template
    expect(syncStep.env!.ALLOW_MASS_DISABLE).toBe('${{ inputs.allow-mass-disable }}');
    expect(syncStep.run).not.toContain('${{');
    // jml is not told who ran it by the workflow: it reads the actor GitHub sets itself.
    expect(JSON.stringify(syncStep.env)).not.toMatch(/ACTOR|--operator/);
  });

  it('every trigger, the webhook relay’s repository_dispatch included, runs the one sync step', () => {
    expect(Object.keys(wf.on).sort()).toEqual(['repository_dispatch', 'schedule', 'workflow_dispatch']);
    const syncs = steps.filter((s) => s.run?.includes('npx jml hr sync'));
    expect(syncs).toEqual([syncStep]);
    expect(syncStep.if).toBeUndefined();
  });

  it('without the input (a schedule, a webhook) jml gets no override', () => {
    const r = runStep(syncStep, { ...dispatched, ALLOW_MASS_DISABLE: '' });
    expect(r.status, r.out).toBe(0);
    expect(r.jmlArgs).toEqual(['jml', 'hr', 'sync', '--source', 'bamboohr']);
  });

  it('with it, on the default branch, jml is given --allow-mass-disable (and checks who)', () => {
    const r = runStep(syncStep, { ...dispatched, ALLOW_MASS_DISABLE: 'true' });
    expect(r.status, r.out).toBe(0);
    expect(r.jmlArgs).toEqual(['jml', 'hr', 'sync', '--source', 'bamboohr', '--allow-mass-disable']);
  });

  it('with it, on another branch (where anyone could list themselves in teams.security), nothing runs', () => {
    const r = runStep(syncStep, { ...dispatched, ALLOW_MASS_DISABLE: 'true', REF: 'refs/heads/mallory' });
    expect(r.status).toBe(1);
    expect(r.out).toContain('::error::allow-mass-disable runs only on main, not refs/heads/mallory');
    expect(r.jmlArgs).toBeUndefined();
  });

  it('exit 4, the brake, fails the run and points at the security issue', () => {
    const synced = runStep(syncStep, dispatched, 4);
    expect(synced.status, synced.out).toBe(0);
    expect(synced.output).toBe('code=4\n');
    const r = runStep(verdictStep, { CODE: '4' });
    expect(r.status).toBe(1);
    expect(r.out).toContain('::error::the HR brake stopped jml hr sync');
    expect(r.out).toContain('hr-brake');
    expect(runStep(verdictStep, { CODE: '2' }).status).toBe(0);
  });
});
