/**
 * Shared by the tests that read one evidence pack made from the engine fixture (render, verify):
 * the pack made as the CLI makes it, with no GitHub to read.
 */
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { copyFixture, jml, tempDir } from '../engine/helpers.js';

/**
 * GITHUB_TOKEN and GITHUB_REPOSITORY unset for the whole file (the pack then reads no GitHub and
 * says so), and put back after it.
 */
export function withoutGitHubEnv(): void {
  let saved: { token?: string; repo?: string } = {};
  beforeAll(() => {
    saved = { token: process.env.GITHUB_TOKEN, repo: process.env.GITHUB_REPOSITORY };
    delete process.env.GITHUB_TOKEN;
    delete process.env.GITHUB_REPOSITORY;
  });
  afterAll(() => {
    if (saved.token !== undefined) process.env.GITHUB_TOKEN = saved.token;
    if (saved.repo !== undefined) process.env.GITHUB_REPOSITORY = saved.repo;
  });
}

/**
 * `jml evidence` on a copy of the fixture organisation (changed first by `edit`, if given) at
 * 2026-12-01T12:00:00Z; the pack's folder and what the command printed. Exit 0 or 2 (findings).
 */
export async function makeFixturePack(
  prefix: string,
  edit?: (repo: string) => void,
): Promise<{ out: string; printed: string }> {
  const repo = copyFixture('org');
  edit?.(repo);
  const out = path.join(tempDir(prefix), 'pack');
  const r = await jml(repo, 'evidence', '--out', out, '--at', '2026-12-01T12:00:00Z');
  expect([0, 2], r.err).toContain(r.code);
  return { out, printed: r.out };
}
