/**
 * The pack: builds the artifacts from the gathered input, writes each as Markdown and CSV,
 * the page (index.html), and manifest.json listing every file with its SHA-256, the repository
 * commit, the window and the generation time, so the auditor can check nothing was edited.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { byCodePoint } from '../../model/order.js';
import { buildAccessReviews } from './access-reviews.js';
import { eventsPerMonthChart, type LeaverMark, leaverLagChart } from './charts.js';
import { iso } from './common.js';
import { buildDayOne } from './day-one.js';
import { buildExceptions } from './exceptions.js';
import { renderIndexHtml } from './html.js';
import { buildJmlEvents, decisiveLeavers, eventsPerMonth } from './jml-events.js';
import { buildPolicy } from './policy.js';
import { renderCsv, renderMarkdown } from './render.js';
import { buildRoles } from './roles.js';
import { buildSaasInventory } from './saas-inventory.js';
import { buildTerminatedAccounts } from './terminated-accounts.js';
import type { Artifact, EvidenceInput, Finding } from './types.js';

export const MANIFEST_SCHEMA = 'jml-evidence-manifest/v1';

export function buildArtifacts(input: EvidenceInput): Artifact[] {
  return [
    buildPolicy(input),
    buildRoles(input),
    buildJmlEvents(input),
    buildExceptions(input),
    buildTerminatedAccounts(input),
    buildSaasInventory(input),
    buildAccessReviews(input),
    buildDayOne(input),
  ];
}

export function leaverMarks(input: EvidenceInput): LeaverMark[] {
  return [...decisiveLeavers(input).values()]
    .map(({ timing: t }) => ({
      person: t.person,
      scheduledAt: t.scheduledAt,
      lagMinutes: t.lagSeconds === null ? null : Math.round((t.lagSeconds / 60) * 10) / 10,
      slaMinutes: t.slaMinutes,
      withinSla: t.withinSla,
    }))
    .sort((a, b) => byCodePoint(a.scheduledAt, b.scheduledAt) || byCodePoint(a.person, b.person));
}

export interface PackResult {
  files: { path: string; sha256: string; bytes: number }[];
  findings: Finding[];
  artifacts: Artifact[];
}

export function writePack(dir: string, input: EvidenceInput, generatedAt: Date): PackResult {
  const artifacts = buildArtifacts(input);
  const findings = artifacts.flatMap((a) => a.findings);
  const out = new Map<string, string>();
  for (const a of artifacts) {
    out.set(`${a.id}.md`, renderMarkdown(a));
    out.set(`${a.id}.csv`, renderCsv(a));
  }
  out.set(
    'index.html',
    renderIndexHtml(
      {
        organisation: input.index.policy.organisation.name,
        commit: input.commit,
        since: iso(input.since),
        at: iso(input.at),
        generatedAt: generatedAt.toISOString(),
        findings: findings.length,
      },
      artifacts,
      { lag: leaverLagChart(leaverMarks(input)), events: eventsPerMonthChart(eventsPerMonth(input)) },
    ),
  );
  mkdirSync(dir, { recursive: true });
  const files: PackResult['files'] = [];
  for (const [name, text] of out) {
    writeFileSync(path.join(dir, name), text);
    const bytes = Buffer.from(text, 'utf8');
    files.push({ path: name, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length });
  }
  const manifest = {
    schema: MANIFEST_SCHEMA,
    organisation: input.index.policy.organisation.name,
    commit: input.commit,
    window: { since: iso(input.since), until: iso(input.at) },
    generatedAt: generatedAt.toISOString(),
    github: input.githubGaps.length === 0 ? 'read' : input.githubGaps,
    providers: input.actual.map((s) => ({ provider: s.provider, simulated: s.simulated })),
    records: input.records.length,
    findings: findings.map((f) => `${f.artifact}: ${f.text}`),
    files,
  };
  writeFileSync(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { files, findings, artifacts };
}
