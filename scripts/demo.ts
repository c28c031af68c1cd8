/**
 * The main job for a newcomer (`npm start`): validate the example organisation, plan and apply
 * it to the embedded directories, then replay the calendar forward with --at (an exception
 * expiring, a high-risk leaver, a leaver, a joiner, a mover), printing each plan, check with
 * `jml drift` that there is none, then come back to today (apply as of now) so that a newcomer's
 * own `jml plan` afterwards proposes nothing. Everything runs through the real `jml` commands.
 *
 * Every apply here is a replay: it runs today for a day of the story (`--at`, or a clock that
 * reads that day), so its record keeps today's wall-clock time, is marked `simulated`, and times
 * its changes and leaver lags on the simulated clock (src/apply/replay.ts). The evidence pack
 * never counts such records as SLA evidence.
 *
 * The embedded directories live in .jml/ (git-ignored run-time state); the demo starts them
 * afresh so that the story is the same every time.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { replayClock } from '../src/apply/leaver-schedule.ts';
import { defaultIo, main } from '../src/cli/main.ts';
import { loadRepository } from '../src/load/load-repo.ts';
import { EmbeddedDirectory } from '../src/providers/embedded/embedded-directory.ts';
import { createProviders } from '../src/providers/registry.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const color = defaultIo.isTty;
const bold = (s: string) => (color ? `\x1b[1m${s}\x1b[0m` : s);

async function jml(...args: string[]): Promise<number> {
  process.stdout.write(`\n${bold(`$ jml ${args.join(' ')}`)}\n`);
  return main(['node', 'jml', '-C', root, ...args]);
}

/** `jml` as if the clock read `now`, its waits for an instant skipped (the demo cannot wait). */
async function jmlAt(now: string, ...args: string[]): Promise<number> {
  process.stdout.write(
    `\n${bold(`$ jml ${args.join(' ')}`)}   ${color ? '\x1b[2m' : ''}(the clock reads ${now})${color ? '\x1b[0m' : ''}\n`,
  );
  return main(['node', 'jml', '-C', root, ...args], { ...defaultIo, clock: replayClock(Date.parse(now)) });
}

function step(title: string, text: string): void {
  process.stdout.write(`\n${bold(`━━ ${title}`)}\n${text}\n`);
}

function expect(code: number, wanted: number[], what: string): void {
  if (!wanted.includes(code)) throw new Error(`${what} exited ${code}, expected ${wanted.join(' or ')}`);
}

async function run(): Promise<void> {
  const { repo } = loadRepository(root);
  const policy = repo.policy?.value;
  const start = '2026-11-25T09:00:00-05:00';

  step(
    'Northwind Analytics, as code',
    `${repo.people.length} people, ${repo.roles.length} role templates, ${repo.entitlements.length} entitlements on ${new Set(repo.entitlements.map((e) => e.value.provider)).size} providers, ${repo.exceptions.length} exceptions, ${repo.sod.length} separation-of-duties rules.`,
  );
  expect(await jml('validate', '--at', start), [0], 'validate');

  if (policy) {
    for (const p of createProviders(root, policy)) {
      if (p instanceof EmbeddedDirectory) rmSync(p.file, { force: true });
    }
  }
  step(
    'Day one',
    `Starting from empty embedded directories in .jml/ and importing everyone employed on ${start}.`,
  );
  const planFile = path.join(root, '.jml', 'initial-plan.json');
  expect(await jml('plan', '--at', start, '--summary', '--out', planFile), [0], 'plan');
  // The reviewed plan is applied "on the day": a plan file carries its own time, so the replay
  // comes from the clock, which reads that day.
  expect(await jmlAt(start, 'apply', '--plan', planFile, '--confirm'), [0], 'apply');

  // People sign in, so that leavers have live sessions to revoke.
  if (policy) {
    let sessions = 0;
    for (const p of createProviders(root, policy)) {
      if (!(p instanceof EmbeddedDirectory) || p.name === 'manual') continue;
      for (const person of repo.people) if (p.signIn(person.value.email)) sessions++;
    }
    step('Everyone signs in', `${sessions} sessions opened across the embedded providers.`);
  }

  const calendar: [string, string][] = [
    ['2026-12-10', 'EXC-0003 expires at the start of the day: the exception access is removed'],
    ['2026-12-11T16:00:00-05:00', 'Ben Carter, a high-risk leaver, leaves at 16:00 New York time'],
    ['2026-12-18T17:00:00-05:00', 'Emma Schultz leaves at 17:00 New York time'],
    ['2027-01-04', 'Isabel Costa joins'],
    ['2027-02-01', 'Alice Nguyen moves from backend engineering to SRE'],
  ];
  for (const [at, story] of calendar) {
    step(`${at}: ${story}`, '');
    expect(await jml('plan', '--at', at), [0], 'plan');
    if (at.includes('T16:00')) {
      // The scheduled run ten minutes before: it waits for the instant and applies on the second.
      const before = new Date(Date.parse(at) - 10 * 60_000).toISOString();
      expect(await jmlAt(before, 'leavers', '--confirm', '--window', '20m'), [0], 'leavers');
    } else expect(await jml('apply', '--confirm', '--at', at), [0], 'apply');
  }

  step('Checking for drift', 'Every provider should now match the repository as of the last date.');
  expect(await jml('drift', '--at', '2027-02-01'), [0], 'drift');

  // The story ran ahead to February 2027; leave the embedded directories as today's files say,
  // so that the newcomer's own `jml plan` starts from the present and proposes nothing.
  step(
    'Back to today',
    "The story ran ahead to 2027. Applying the repository as of now puts the embedded directories back where today's files say (the leavers have not left yet, Isabel has not started), so your own jml plan starts from the present.",
  );
  expect(await jml('apply', '--confirm'), [0], 'apply');
  expect(await jml('plan', '--summary', '--detailed-exitcode'), [0], 'plan');
  step(
    'Done',
    [
      "The apply records are in .jml/records/; the story's are replays, marked simulated (they ran today for a day of the story), the last one is real.",
      'Try next:',
      "  npx jml plan --at 2027-02-01        what Alice Nguyen's move will change, and why",
      '  npx jml validate                    then break a file (a manager who does not exist) and run it again',
      '  npx jml evidence --out pack         the pack an auditor samples; open pack/index.html',
      '  README.md, "Your first pull request" walks through a joiner from file to merge.',
    ].join('\n'),
  );
}

run().catch((e: unknown) => {
  process.stderr.write(`demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
