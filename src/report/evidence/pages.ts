/**
 * The pack's detail pages, beside its artifacts (pack.ts `buildArtifacts`): a page per leaver of
 * the period (leaver-pages.ts) that an auditor samples from. pack.ts writes each as Markdown and
 * HTML and lists it in the manifest.
 */
import { buildLeaverPages } from './leaver-pages.js';
import type { DetailPage, EvidenceInput } from './types.js';

export function buildPages(input: EvidenceInput): DetailPage[] {
  return buildLeaverPages(input);
}
