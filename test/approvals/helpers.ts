/**
 * Shared by the approvals tests: a base and a head copy of the fixture organisation, edits to the
 * head, the changed-file list GitHub would report (computed by comparing the two copies), and
 * reviews.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import type { ChangedFile, Decision, Review, ReviewState } from '../../src/approvals/types.js';
import { decideFromCheckouts } from '../../src/engine/approvals.js';
import { copyFixture, readRepoFile, writeRepoFile } from '../engine/helpers.js';

export const ORG = path.resolve(import.meta.dirname, '../fixtures/approvals/org');
export const HEAD_SHA = 'a'.repeat(40);
export const OLD_SHA = 'b'.repeat(40);

/** Rewrites a YAML file of the head copy through a function of its value. */
export function editYaml(dir: string, rel: string, edit: (v: Record<string, unknown>) => void): void {
  const value = parse(readRepoFile(dir, rel)) as Record<string, unknown>;
  edit(value);
  writeRepoFile(dir, rel, stringify(value));
}

export function writeYaml(dir: string, rel: string, value: unknown): void {
  writeRepoFile(dir, rel, stringify(value));
}

export function removeFile(dir: string, rel: string): void {
  rmSync(path.join(dir, rel));
}

function walk(root: string, rel = ''): string[] {
  const abs = path.join(root, rel);
  if (!existsSync(abs) && !isLink(abs)) return [];
  if (isLink(abs) || !statSync(abs).isDirectory()) return [rel];
  return readdirSync(abs).flatMap((n) => walk(root, rel ? `${rel}/${n}` : n));
}

function isLink(abs: string): boolean {
  try {
    return lstatSync(abs).isSymbolicLink();
  } catch {
    return false;
  }
}

/** What git stores for a path: a link's target text (mode 120000), else the file's content. */
function blob(abs: string): string {
  return isLink(abs) ? `link:${readlinkSync(abs)}` : readFileSync(abs, 'utf8');
}

/** What GitHub's pulls/{n}/files would list: every file added, modified or removed. */
export function changedFiles(base: string, head: string): ChangedFile[] {
  const b = new Set(walk(base));
  const h = new Set(walk(head));
  const out: ChangedFile[] = [];
  for (const f of [...new Set([...b, ...h])].sort()) {
    if (!b.has(f)) out.push({ path: f, status: 'added' });
    else if (!h.has(f)) out.push({ path: f, status: 'removed' });
    else if (blob(path.join(base, f)) !== blob(path.join(head, f))) out.push({ path: f, status: 'modified' });
  }
  return out;
}

let clock = Date.parse('2026-11-20T09:00:00Z');

export function review(login: string, state: ReviewState = 'APPROVED', commitId = HEAD_SHA): Review {
  clock += 60_000;
  return { login, state, commitId, submittedAt: new Date(clock).toISOString() };
}
export const approve = (login: string) => review(login);
export const staleApprove = (login: string) => review(login, 'APPROVED', OLD_SHA);

export interface Scenario {
  base: string;
  head: string;
}

/** Two copies of the organisation; `edit` changes the head. */
export function scenario(edit: (head: string, base: string) => void): Scenario {
  const base = copyFixture(ORG);
  const head = copyFixture(ORG);
  edit(head, base);
  return { base, head };
}

/** The instant the approvals tests decide at (the fixture's exception EXC-0001 is in force). */
export const NOW = Date.parse('2026-11-20T09:00:00Z');

export function decideScenario(
  s: Scenario,
  opts: { author?: string; reviews: Review[]; files?: ChangedFile[]; now?: number },
): Decision {
  return decideFromCheckouts({
    baseRoot: s.base,
    headRoot: s.head,
    files: opts.files ?? changedFiles(s.base, s.head),
    author: opts.author ?? 'pat-p',
    headSha: HEAD_SHA,
    reviews: opts.reviews,
    now: opts.now ?? NOW,
  });
}
