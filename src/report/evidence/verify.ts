/**
 * Tamper evidence for the pack, as pure checks (engine/evidence-verify.ts reads the directory).
 *
 * manifest.json lists every file of the pack with its SHA-256 and carries `digest`: the SHA-256 of
 * the manifest itself without that field, in canonical JSON (keys sorted by code point at every
 * level, no whitespace; for the values a manifest holds this is RFC 8785's form, and
 * `jq -jcS 'del(.digest)' manifest.json | sha256sum` computes the same). The digest is what the
 * evidence workflow keeps outside the pack (the evidence branch) and what `--digest` checks, so an
 * edited CSV with a regenerated manifest no longer passes: the manifest's digest changed.
 *
 * `checkPack` compares a manifest with the files found: each file whose hash or size differs,
 * each listed file that is missing, each file that is not listed, anything that is not a regular
 * file, a path that points outside the pack, and the digest (its own, and the one kept elsewhere).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { byCodePoint } from '../../model/order.js';

export const MANIFEST_SCHEMA = 'jml-evidence-manifest/v1';
export const MANIFEST_FILE = 'manifest.json';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (a SHA-256)');

/** The manifest as read back: the fields verification relies on; the rest is kept as it is. */
export const manifestSchema = z.looseObject({
  schema: z.literal(MANIFEST_SCHEMA),
  digest: sha256Hex.optional(),
  files: z.array(
    z.strictObject({
      path: z.string().min(1),
      sha256: sha256Hex,
      bytes: z.number().int().nonnegative(),
    }),
  ),
});
export type Manifest = z.infer<typeof manifestSchema>;

/** A value as canonical JSON: object keys sorted by code point at every level, no whitespace. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`not a JSON value: ${String(value)}`);
    return text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => byCodePoint(a, b));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The manifest's digest: SHA-256 of its canonical JSON without `digest`. */
export function manifestDigest(manifest: Record<string, unknown>): string {
  const { digest: _left, ...rest } = manifest;
  return sha256(canonicalJson(rest));
}

/** A digest as a person passes it (`sha256:<hex>` or `<hex>`, any case), or null when it is not one. */
export function parseDigest(text: string): string | null {
  const hex = text
    .trim()
    .replace(/^sha256:/i, '')
    .toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : null;
}

/** Whether a manifest path stays inside the pack: relative, `/`-separated, no `.` or `..` part. */
export function isPackPath(p: string): boolean {
  if (p.startsWith('/') || p.includes('\\') || p.includes('\0') || /^[A-Za-z]:/.test(p)) return false;
  return p.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

export type PackProblem =
  /** A listed file whose bytes differ from the manifest's hash or size. */
  | { kind: 'changed'; path: string; expected: string; actual: string }
  | { kind: 'missing'; path: string }
  /** A file in the pack the manifest does not list. */
  | { kind: 'extra'; path: string }
  /** A symbolic link, a directory where a file is listed, a device... */
  | { kind: 'not-a-file'; path: string }
  /** A listed path that would leave the pack (`../x`, `/etc/x`) or is listed twice. */
  | { kind: 'bad-path'; path: string; why: string }
  /** The manifest has no digest, or its digest is not the digest of its content. */
  | { kind: 'digest'; expected: string | null; actual: string }
  /** The digest kept elsewhere (`--digest`) is not this manifest's. */
  | { kind: 'anchor'; expected: string; actual: string };

/** One file found in the pack directory (manifest.json excluded). */
export interface FoundFile {
  /** Relative to the pack, `/`-separated. */
  path: string;
  /** null: not a regular file (its bytes are not read). */
  sha256: string | null;
  bytes: number;
}

export interface PackCheck {
  /** The manifest's digest as recomputed from its content. */
  digest: string;
  /** Files listed and found with the right hash. */
  verified: number;
  problems: PackProblem[];
}

/**
 * Checks a pack: `raw` is manifest.json as parsed (already checked against `manifestSchema`),
 * `found` every entry of the directory but manifest.json, `anchor` the digest kept elsewhere.
 */
export function checkPack(
  raw: Record<string, unknown>,
  manifest: Manifest,
  found: FoundFile[],
  anchor?: string,
): PackCheck {
  const problems: PackProblem[] = [];
  const digest = manifestDigest(raw);
  if (manifest.digest !== digest)
    problems.push({ kind: 'digest', expected: manifest.digest ?? null, actual: digest });
  if (anchor !== undefined && anchor !== digest)
    problems.push({ kind: 'anchor', expected: anchor, actual: digest });
  const byPath = new Map(found.map((f) => [f.path, f]));
  const listed = new Set<string>();
  let verified = 0;
  for (const f of manifest.files) {
    if (!isPackPath(f.path) || f.path === MANIFEST_FILE) {
      problems.push({ kind: 'bad-path', path: f.path, why: 'it is not a file inside the pack' });
      continue;
    }
    if (listed.has(f.path)) {
      problems.push({ kind: 'bad-path', path: f.path, why: 'it is listed twice' });
      continue;
    }
    listed.add(f.path);
    const got = byPath.get(f.path);
    if (!got) problems.push({ kind: 'missing', path: f.path });
    else if (got.sha256 === null) problems.push({ kind: 'not-a-file', path: f.path });
    else if (got.sha256 !== f.sha256 || got.bytes !== f.bytes)
      problems.push({
        kind: 'changed',
        path: f.path,
        expected: `${f.sha256} (${f.bytes} bytes)`,
        actual: `${got.sha256} (${got.bytes} bytes)`,
      });
    else verified++;
  }
  for (const f of found) {
    if (listed.has(f.path)) continue;
    problems.push(f.sha256 === null ? { kind: 'not-a-file', path: f.path } : { kind: 'extra', path: f.path });
  }
  return { digest, verified, problems };
}

/** A problem as one line for the auditor. */
export function problemText(p: PackProblem): string {
  switch (p.kind) {
    case 'changed':
      return `CHANGED ${p.path}: the manifest says ${p.expected}, the file is ${p.actual}`;
    case 'missing':
      return `MISSING ${p.path}: listed in manifest.json, not in the pack`;
    case 'extra':
      return `EXTRA ${p.path}: in the pack, not listed in manifest.json`;
    case 'not-a-file':
      return `NOT A FILE ${p.path}: a link or a directory where the pack has regular files only`;
    case 'bad-path':
      return `BAD PATH ${JSON.stringify(p.path)} in manifest.json: ${p.why}`;
    case 'digest':
      return p.expected === null
        ? `DIGEST manifest.json has no digest (its content's digest is sha256:${p.actual})`
        : `DIGEST manifest.json says sha256:${p.expected}, its content's digest is sha256:${p.actual}: the manifest was edited`;
    case 'anchor':
      return `DIGEST the digest kept outside the pack is sha256:${p.expected}, this manifest's is sha256:${p.actual}: this is not the pack that was kept`;
  }
}
