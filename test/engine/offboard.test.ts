/**
 * Emergency offboarding as an engine use case (src/engine/offboard.ts), called with its own
 * context and a fake GitHub port that records its calls: who may run it comes from the context's
 * environment (never process.env), access is cut before the pull request is asked for, a pull
 * request that fails leaves the cut standing and says so, and without GitHub the checkout's
 * people file is edited. The same story through the CLI and the GitHub fake is
 * test/github/offboard.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { skippingClock } from '../../src/apply/leaver-schedule.js';
import { indexCheckout } from '../../src/engine/checkout.js';
import type { EngineContext } from '../../src/engine/context.js';
import {
  OFFBOARD_LABELS,
  type OffboardGitHub,
  type OffboardRequest,
  offboard,
  operatorOf,
} from '../../src/engine/offboard.js';
import type { FileChangesSpec } from '../../src/github/client.js';
import type { DirectoryFile } from '../../src/providers/embedded/embedded-directory.js';
import { applyRecord } from '../../src/records/schema.js';
import { cleanTempDirs, copyExample, jml, REPO_ROOT, readRepoFile } from './helpers.js';

const NOW = Date.parse('2026-12-01T15:00:00Z');
const DIRECTORIES = ['.jml/directory.json', '.jml/entra.json', '.jml/google.json', '.jml/okta.json'];
const EMMA = 'people/emma.schultz.yaml';
/** A run in GitHub Actions started by Erin McBride, of the security team. */
const IN_ACTIONS_BY_ERIN = { GITHUB_ACTIONS: 'true', GITHUB_ACTOR: 'emcbride-sec' };

let dir: string;

afterAll(cleanTempDirs);

function emmaEnabled(): boolean[] {
  return DIRECTORIES.flatMap((rel) => {
    const data = JSON.parse(readFileSync(path.join(dir, rel), 'utf8')) as DirectoryFile;
    const u = data.users['emma.schultz@example.com'];
    return u ? [u.enabled] : [];
  });
}

const context = (env: NodeJS.ProcessEnv): EngineContext => ({ clock: skippingClock(NOW), env });

function request(over: Partial<OffboardRequest> = {}): OffboardRequest {
  return {
    root: dir,
    person: 'emma.schultz',
    reason: 'SEC-4242',
    mode: 'cut',
    trigger: { actor: 'unknown', command: 'jml offboard --now --reason', ci: true },
    base: 'main',
    ...over,
  };
}

/** A GitHub port that records each pull request asked for, and whether Emma was cut off by then. */
function recordingGitHub(fail?: Error) {
  const calls: { spec: FileChangesSpec; emmaEnabledThen: boolean[] }[] = [];
  let opened = 0;
  const client: OffboardGitHub = {
    async proposeFileChanges(_owner, _repo, spec) {
      calls.push({ spec, emmaEnabledThen: emmaEnabled() });
      if (fail) throw fail;
      return {
        action: 'created',
        pullRequest: { number: 7, url: 'https://github.example/acme/access/pull/7' },
        branch: 'created',
        written: spec.files.map((f) => f.path),
      };
    },
  };
  const github = async () => {
    opened++;
    return { client, owner: 'acme', repo: 'access' };
  };
  return { calls, github, opened: () => opened };
}

function offboardRecord(): ReturnType<typeof applyRecord.parse> {
  const records = path.join(dir, '.jml/records');
  const file = readdirSync(records).find((f) => f.includes('-offboard-emma.schultz-'))!;
  return applyRecord.parse(JSON.parse(readFileSync(path.join(records, file), 'utf8')));
}

describe('offboard (the use case)', () => {
  beforeEach(async () => {
    dir = copyExample('jml-offboard-engine-');
    const r = await jml(dir, 'apply', '--confirm', '--at', '2026-12-01T14:00:00Z', '--allow-mass-disable');
    expect(r.code, r.err).toBe(0);
  });

  it('cuts access on every provider before it asks the GitHub port for the pull request', async () => {
    const gh = recordingGitHub();
    const r = await offboard(context(IN_ACTIONS_BY_ERIN), request({ github: gh.github }));
    expect(r.ok).toBe(true);
    if (!r.ok || r.offboard.kind !== 'cut') throw new Error(`not cut: ${JSON.stringify(r)}`);
    expect(r.offboard.proposal).toEqual({
      kind: 'pull-request',
      pullRequest: { number: 7, url: 'https://github.example/acme/access/pull/7' },
    });
    expect(gh.calls).toHaveLength(1);
    const { spec, emmaEnabledThen } = gh.calls[0]!;
    expect(emmaEnabledThen.length).toBeGreaterThan(1);
    expect(emmaEnabledThen.every((enabled) => !enabled)).toBe(true);
    expect(spec).toMatchObject({
      branch: 'jml/offboard/emma.schultz',
      base: 'main',
      reviewers: ['saraholm'],
    });
    expect(spec.labels).toEqual(OFFBOARD_LABELS);
    expect(spec.files.map((f) => f.path)).toEqual([EMMA]);
    expect(spec.files[0]!.content).toContain('end: 2026-12-01T10:00:00-05:00');
    expect(spec.body).toMatch(/\| okta \| disableUser \| applied \|/);
    // The record names who (as GitHub vouched) and why, and links the pull request.
    const record = offboardRecord();
    expect(record.trigger).toMatchObject({ actor: 'emcbride-sec', reason: 'SEC-4242' });
    expect(record.offboard).toMatchObject({
      person: 'emma.schultz',
      operator: 'erin.mcbride',
      pullRequest: { number: 7 },
    });
    // The checkout is left alone: the pull request carries the change.
    expect(readRepoFile(dir, EMMA)).not.toContain('2026-12-01T10:00:00-05:00');
  });

  it('leaves the cut standing when the pull request fails, and returns the failure', async () => {
    const failure = new Error('GitHub open pull request failed: 502 Bad Gateway');
    const gh = recordingGitHub(failure);
    const r = await offboard(context(IN_ACTIONS_BY_ERIN), request({ github: gh.github }));
    if (!r.ok || r.offboard.kind !== 'cut') throw new Error(`not cut: ${JSON.stringify(r)}`);
    expect(r.offboard.proposal).toEqual({ kind: 'failed', error: failure });
    expect(r.offboard.outcome.record.result).toBe('applied');
    expect(emmaEnabled().every((enabled) => !enabled)).toBe(true);
    const record = offboardRecord();
    expect(record.result).toBe('applied');
    expect(record.offboard?.pullRequest).toBeUndefined();
  });

  it('edits the people file in the checkout when no GitHub port is given', async () => {
    const r = await offboard(context(IN_ACTIONS_BY_ERIN), request());
    if (!r.ok || r.offboard.kind !== 'cut') throw new Error(`not cut: ${JSON.stringify(r)}`);
    expect(r.offboard.proposal).toEqual({ kind: 'edited', file: EMMA });
    expect(readRepoFile(dir, EMMA)).toContain('end: 2026-12-01T10:00:00-05:00');
    expect(readRepoFile(dir, EMMA)).toContain('highRisk: true');
  });

  it('refuses someone outside the security team before it opens GitHub or changes anything', async () => {
    const before = DIRECTORIES.map((rel) => readRepoFile(dir, rel));
    const gh = recordingGitHub();
    const r = await offboard(
      context({ GITHUB_ACTIONS: 'true', GITHUB_ACTOR: 'tnovak' }),
      request({ github: gh.github }),
    );
    if (!r.ok) throw new Error('prepare refused');
    expect(r.offboard).toEqual({
      kind: 'refused',
      refusal: {
        kind: 'operator',
        message: expect.stringContaining('tnovak (tomas.novak) is not on the security team'),
      },
    });
    expect(gh.opened()).toBe(0);
    expect(DIRECTORIES.map((rel) => readRepoFile(dir, rel))).toEqual(before);
  });

  it('records a hold without changes, and lifts it', async () => {
    const held = await offboard(context(IN_ACTIONS_BY_ERIN), request({ mode: 'hold-only' }));
    if (!held.ok) throw new Error('prepare refused');
    expect(held.offboard).toMatchObject({ kind: 'hold-recorded', person: 'emma.schultz' });
    expect(emmaEnabled().every((enabled) => enabled)).toBe(true);
    const lifted = await offboard(
      context({ GITHUB_ACTIONS: 'true', GITHUB_ACTOR: 'saraholm' }),
      request({ mode: 'cancel', reason: 'SEC-4242 wrong person' }),
    );
    if (!lifted.ok) throw new Error('prepare refused');
    expect(lifted.offboard).toMatchObject({ kind: 'hold-lifted', person: 'emma.schultz' });
  });
});

describe('operatorOf reads the environment it is given, never process.env', () => {
  /** The example organisation at the repository's root: erin.mcbride and sara.holm are security. */
  const index = indexCheckout(REPO_ROOT);
  const saved = { actions: process.env.GITHUB_ACTIONS, actor: process.env.GITHUB_ACTOR };

  it.each([
    [
      'in Actions, the actor GitHub vouches for, not the login claimed',
      IN_ACTIONS_BY_ERIN,
      'tnovak',
      'emcbride-sec',
      true,
    ],
    ['outside Actions, the login claimed with --operator', {}, 'emcbride-sec', 'emcbride-sec', false],
    [
      'outside Actions, GITHUB_ACTOR does not count',
      { GITHUB_ACTOR: 'tnovak' },
      'emcbride-sec',
      'emcbride-sec',
      false,
    ],
  ])('%s', (_, env, claimed, login, vouched) => {
    // The process says someone else entirely: it must not matter.
    process.env.GITHUB_ACTIONS = 'true';
    process.env.GITHUB_ACTOR = 'mallory';
    try {
      expect(operatorOf(index, claimed, NOW, 'offboard', env)).toEqual({
        login,
        person: 'erin.mcbride',
        vouched,
      });
    } finally {
      for (const [key, value] of [
        ['GITHUB_ACTIONS', saved.actions],
        ['GITHUB_ACTOR', saved.actor],
      ] as const)
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
    }
  });

  it('on a re-run in Actions, the triggering actor is who must be on the security team', () => {
    const env = { ...IN_ACTIONS_BY_ERIN, GITHUB_TRIGGERING_ACTOR: 'tnovak' };
    expect(operatorOf(index, undefined, NOW, 'offboard', env)).toContain(
      'tnovak (tomas.novak) is not on the security team',
    );
  });

  it('asks who is running it when nobody is named', () => {
    expect(operatorOf(index, undefined, NOW, 'offboard', {})).toContain('who is running this?');
  });
});
