/**
 * Whether dist/ (the compiled engine, `npm run build`) was built from the src/ on disk, so that
 * bin/jml.js never runs a stale build. The build writes a stamp into dist/ listing every input
 * (each `.ts` file under src/ and the two tsconfig files) with its size, modification time and
 * SHA-256. A file whose size and time match the stamp is taken as unchanged (one stat); any
 * other is hashed, so a file touched but not changed still matches, and a file edited, added or
 * removed does not. Checking costs a few milliseconds: one directory walk and a stat per file.
 *
 * Plain JavaScript, because bin/jml.js reads it before anything can compile TypeScript.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** The stamp's name inside dist/. */
export const STAMP = '.build-stamp.json';
const CONFIGS = ['tsconfig.json', 'tsconfig.build.json'];

/** Every input of the build, as repository-relative paths with forward slashes, sorted. */
export function buildInputs(root) {
  const out = [];
  const walk = (rel) => {
    for (const entry of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (entry.name.endsWith('.ts')) out.push(child);
    }
  };
  walk('src');
  out.sort();
  return [...CONFIGS, ...out];
}

const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** What the stamp records: every input with its size, modification time and content hash. */
export function readInputs(root) {
  const files = {};
  for (const rel of buildInputs(root)) {
    const abs = path.join(root, rel);
    const st = statSync(abs);
    files[rel] = { size: st.size, mtimeMs: st.mtimeMs, sha256: sha256(abs) };
  }
  return { version: 1, files };
}

/**
 * Why dist/ cannot run as the engine of `root`, or undefined when it is current: no build, or
 * the first input that was edited, added or removed since it was built.
 */
export function staleReason(root, dist = path.join(root, 'dist')) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(path.join(dist, STAMP), 'utf8'));
  } catch {
    return 'no build (npm run build makes one)';
  }
  const built = stamp?.version === 1 && stamp.files ? stamp.files : {};
  const inputs = buildInputs(root);
  for (const rel of inputs) {
    const was = built[rel];
    if (!was) return `${rel} is new since the build`;
    const abs = path.join(root, rel);
    const st = statSync(abs);
    if (st.size === was.size && st.mtimeMs === was.mtimeMs) continue;
    if (st.size !== was.size || sha256(abs) !== was.sha256) return `${rel} changed since the build`;
  }
  if (Object.keys(built).length !== inputs.length) {
    const gone = Object.keys(built).find((rel) => !inputs.includes(rel));
    return `${gone} was removed since the build`;
  }
  return undefined;
}
