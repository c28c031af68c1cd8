/**
 * `jml evidence verify DIR [--digest]` on a real pack (`jml evidence` on the engine fixture):
 * each way an auditor's copy can differ from the pack that was made is reported and exits 2,
 * a pack that cannot be checked exits 1, and the manifest digest is the one `jq` computes.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_USAGE } from '../../src/cli/main.js';
import { canonicalJson, manifestDigest, sha256 } from '../../src/report/evidence/verify.js';
import { cleanTempDirs, copyFixture, jml, tempDir } from '../engine/helpers.js';
import { makeFixturePack, withoutGitHubEnv } from './fixture-pack.js';

let made: string;
let printed: string;

withoutGitHubEnv();
beforeAll(async () => {
  ({ out: made, printed } = await makeFixturePack('jml-evidence-made-'));
});
afterAll(cleanTempDirs);

/** A copy of the pack as the auditor received it. */
function copy(): string {
  const dir = path.join(tempDir('jml-evidence-copy-'), 'pack');
  cpSync(made, dir, { recursive: true });
  return dir;
}

const manifestOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
const digestOf = (dir: string): string => manifestOf(dir).digest;
const writeManifest = (dir: string, m: unknown) =>
  writeFileSync(path.join(dir, 'manifest.json'), `${JSON.stringify(m, null, 2)}\n`);

/** Runs verify outside any policy repository: the auditor has the pack, not the repository. */
const verify = (...args: string[]) => jml(tempDir('jml-auditor-'), 'evidence', 'verify', ...args);

describe('jml evidence verify', () => {
  it('an intact pack is OK, checked against the digest printed when it was made', async () => {
    const digest = digestOf(made);
    expect(printed).toContain(`Manifest digest: sha256:${digest}`);
    const r = await verify(copy(), '--digest', `sha256:${digest}`);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(
      /^OK: .* \d+ files match manifest\.json; manifest digest sha256:[0-9a-f]{64}, the digest kept outside the pack\.$/m,
    );
    // The bare hex form is accepted too, and without --digest it says what it did not check.
    expect((await verify(copy(), '--digest', digest.toUpperCase())).code).toBe(0);
    const alone = await verify(copy());
    expect(alone.code).toBe(0);
    expect(alone.out).toContain('Without --digest this checks the pack against its own manifest only');
  });

  it('the manifest lists every file and its digest covers everything in it but the digest', () => {
    const m = manifestOf(made);
    expect(m.files.map((f: { path: string }) => f.path)).toContain('exceptions.csv');
    expect(m.files.map((f: { path: string }) => f.path)).toContain('index.html');
    expect(m.digest).toBe(manifestDigest(m));
    expect(m.digest).toBe(sha256(canonicalJson({ ...m, digest: undefined })));
    expect(m.time).toEqual({
      dates: 'America/New_York',
      instants: 'UTC',
      statement: 'Dates are in America/New_York; instants in UTC (YYYY-MM-DDTHH:MM:SSZ).',
    });
  });

  it('the digest is what jq computes, so an auditor can check it without jml', () => {
    let jq: string;
    try {
      jq = execFileSync('jq', ['-jcS', 'del(.digest)', path.join(made, 'manifest.json')], {
        encoding: 'utf8',
      });
    } catch {
      console.warn('jq not found: the digest is not compared with jq here');
      return;
    }
    expect(sha256(jq)).toBe(digestOf(made));
  });

  it('an edited CSV is reported as changed, exit 2', async () => {
    const dir = copy();
    const file = path.join(dir, 'exceptions.csv');
    writeFileSync(file, readFileSync(file, 'utf8').replace('in force', 'expired, removed'));
    const r = await verify(dir);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(
      /^CHANGED exceptions\.csv: the manifest says [0-9a-f]{64} \(\d+ bytes\), the file is [0-9a-f]{64}/m,
    );
    expect(r.out).toMatch(/^TAMPERED: .*1 problem;/m);
  });

  it('an edited CSV with a regenerated manifest passes on its own but not against the kept digest', async () => {
    const kept = digestOf(made);
    const dir = copy();
    const file = path.join(dir, 'exceptions.csv');
    const edited = readFileSync(file, 'utf8').replace('in force', 'expired, removed');
    writeFileSync(file, edited);
    const m = manifestOf(dir);
    const entry = m.files.find((f: { path: string }) => f.path === 'exceptions.csv');
    entry.sha256 = sha256(edited);
    entry.bytes = Buffer.byteLength(edited);
    // Only the file hashes regenerated: the manifest's own digest gives it away.
    writeManifest(dir, m);
    const half = await verify(dir);
    expect(half.code).toBe(2);
    expect(half.out).toMatch(
      /^DIGEST manifest\.json says sha256:[0-9a-f]{64}, its content's digest is sha256:[0-9a-f]{64}: the manifest was edited$/m,
    );
    // The digest regenerated too: consistent on its own, caught only by the digest kept outside.
    writeManifest(dir, { ...m, digest: manifestDigest(m) });
    expect((await verify(dir)).code).toBe(0);
    const anchored = await verify(dir, '--digest', kept);
    expect(anchored.code).toBe(2);
    expect(anchored.out).toContain(`DIGEST the digest kept outside the pack is sha256:${kept}`);
  });

  it('a manifest stripped of its digest is tampered', async () => {
    const dir = copy();
    const { digest: _gone, ...m } = manifestOf(dir);
    writeManifest(dir, m);
    const r = await verify(dir);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/^DIGEST manifest\.json has no digest/m);
  });

  it('a file removed from the pack is missing, a file added is extra, exit 2', async () => {
    const dir = copy();
    rmSync(path.join(dir, 'roles.md'));
    mkdirSync(path.join(dir, 'leavers'));
    writeFileSync(path.join(dir, 'leavers', 'zoe.smith-2026-11-30.html'), '<p>forged</p>');
    const r = await verify(dir);
    expect(r.code).toBe(2);
    expect(r.out).toContain('MISSING roles.md: listed in manifest.json, not in the pack');
    expect(r.out).toContain(
      'EXTRA leavers/zoe.smith-2026-11-30.html: in the pack, not listed in manifest.json',
    );
  });

  it('a file swapped for a symbolic link is not a file, and its target is not read', async () => {
    const dir = copy();
    const outside = path.join(tempDir('jml-outside-'), 'policy.csv');
    cpSync(path.join(made, 'policy.csv'), outside);
    rmSync(path.join(dir, 'policy.csv'));
    symlinkSync(outside, path.join(dir, 'policy.csv'));
    const r = await verify(dir);
    expect(r.code).toBe(2);
    expect(r.out).toContain('NOT A FILE policy.csv');
  });

  it('a manifest path that leaves the pack is refused, not read', async () => {
    const dir = copy();
    const m = manifestOf(dir);
    m.files.push({ path: '../../etc/passwd', sha256: '0'.repeat(64), bytes: 0 });
    writeManifest(dir, { ...m, digest: manifestDigest(m) });
    const r = await verify(dir);
    expect(r.code).toBe(2);
    expect(r.out).toContain('BAD PATH "../../etc/passwd" in manifest.json: it is not a file inside the pack');
  });

  it('cannot check what is not a pack: exit 1 with what to do', async () => {
    const empty = tempDir('jml-not-a-pack-');
    const none = await verify(empty);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/manifest\.json is missing: this is not a jml evidence pack/);
    expect((await verify(path.join(empty, 'nowhere'))).err).toMatch(/does not exist/);
    writeFileSync(path.join(empty, 'manifest.json'), '{"schema":"something-else/v1","files":[]}');
    const other = await verify(empty);
    expect(other.code).toBe(1);
    expect(other.err).toMatch(/is not a jml evidence manifest: schema/);
    writeFileSync(path.join(empty, 'manifest.json'), '{not json');
    expect((await verify(empty)).err).toMatch(/is not JSON/);
  });

  it('a --digest that is not a SHA-256 is refused, exit 1', async () => {
    const r = await verify(copy(), '--digest', 'abc123');
    expect(r.code).toBe(1);
    expect(r.err).toContain('--digest "abc123" is not a SHA-256');
  });

  it('jml evidence without --out still says it is required', async () => {
    const r = await jml(tempDir(), 'evidence');
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.err).toContain("required option '--out <dir>' not specified");
  });

  it('a pack written over an earlier one in the same directory holds no stale file', async () => {
    const dir = copy();
    const m = manifestOf(dir);
    // An earlier pack had a leaver page this one does not.
    mkdirSync(path.join(dir, 'leavers'));
    writeFileSync(path.join(dir, 'leavers', 'old.md'), 'old');
    m.files.push({ path: 'leavers/old.md', sha256: sha256('old'), bytes: 3 });
    writeManifest(dir, { ...m, digest: manifestDigest(m) });
    expect((await verify(dir)).code).toBe(0);
    const repo = copyFixture('org');
    expect([0, 2]).toContain(
      (await jml(repo, 'evidence', '--out', dir, '--at', '2026-12-01T12:00:00Z')).code,
    );
    expect((await verify(dir)).code).toBe(0);
  });
});
