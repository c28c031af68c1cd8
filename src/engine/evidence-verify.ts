/**
 * engine: `jml evidence verify DIR [--digest SHA256]`, what an auditor runs on a pack they were
 * given. Reads DIR's manifest.json and every file under DIR, and checks them
 * (report/evidence/verify.ts): each file's SHA-256 and size, files missing or not listed, the
 * manifest's own digest, and, with `digest`, that this manifest is the one whose digest was kept
 * outside the pack (the evidence branch's evidence/<date>-<run id>.json). Needs no policy repository.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  checkPack,
  type FoundFile,
  MANIFEST_FILE,
  manifestSchema,
  type PackCheck,
  sha256,
} from '../report/evidence/verify.js';

export interface VerifyRequest {
  /** The pack's directory. */
  dir: string;
  /** The digest kept outside the pack (sha256 hex), when the auditor has it. */
  digest?: string;
}

export type VerifyOutcome =
  /** The pack was read and checked: `check.problems` empty means it is the pack the manifest describes. */
  | ({ ok: true; dir: string; anchored: boolean } & PackCheck)
  /** The pack cannot be checked at all (no directory, no manifest, a manifest that is not one). */
  | { ok: false; dir: string; message: string };

/** Every entry under `dir` but the root manifest, with the hashes of its regular files. */
function listPack(dir: string): FoundFile[] {
  const out: FoundFile[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const relPath = rel ? `${rel}/${name}` : name;
      if (relPath === MANIFEST_FILE) continue;
      const full = path.join(dir, relPath);
      const st = lstatSync(full);
      if (st.isDirectory()) walk(relPath);
      else if (st.isFile()) {
        const bytes = readFileSync(full);
        out.push({ path: relPath, sha256: sha256(bytes), bytes: bytes.length });
      } else out.push({ path: relPath, sha256: null, bytes: 0 });
    }
  };
  walk('');
  return out;
}

export function verifyEvidencePack(req: VerifyRequest): VerifyOutcome {
  const dir = path.resolve(req.dir);
  const fail = (message: string): VerifyOutcome => ({ ok: false, dir, message });
  let st: ReturnType<typeof lstatSync> | undefined;
  try {
    st = lstatSync(dir);
  } catch {
    return fail(`${dir} does not exist: give the directory the pack was unpacked into.`);
  }
  if (!st.isDirectory())
    return fail(`${dir} is not a directory: give the directory the pack was unpacked into.`);
  const manifestPath = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    if (!lstatSync(manifestPath).isFile()) return fail(`${manifestPath} is not a regular file.`);
    text = readFileSync(manifestPath, 'utf8');
  } catch {
    return fail(`${manifestPath} is missing: this is not a jml evidence pack, or not all of it.`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return fail(`${manifestPath} is not JSON (${(e as Error).message}).`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return fail(
      `${manifestPath} is not a jml evidence manifest: ${issue.path.join('.') || '(top)'} ${issue.message}.`,
    );
  }
  const check = checkPack(raw as Record<string, unknown>, parsed.data, listPack(dir), req.digest);
  return { ok: true, dir, anchored: req.digest !== undefined, ...check };
}
