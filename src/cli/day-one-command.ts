import path from 'node:path';
import type { Command } from 'commander';
import writeFileAtomic from 'write-file-atomic';
import { indexCheckout } from '../engine/checkout.js';
import { dayOneItems, dayOneMarkdown, dayOneStatus, parseDayOneMarker } from '../report/day-one.js';
import { readDayOneIssues } from '../report/evidence/github-reads.js';
import type { GlobalOptions, Io } from './io.js';
import { parseAtOption } from './options.js';
import { githubAccess, recordFromOption } from './run-support.js';

type Exit = (code: number) => void;

/** Adds `day-one` and `day-one-status` to the `jml github` command. */
export function registerDayOne(gh: Command, io: Io, setExit: Exit): void {
  gh.command('day-one')
    .description(
      'Open ONE issue per joiner whose accounts an apply created, for their manager to confirm (/confirm) or flag (/wrong <entitlement> <why>) and IT to review (/reviewed). Never closes anything.',
    )
    .option(
      '--record <file>',
      'the apply record (default: the newest in the records directory of policy/jml.yaml)',
    )
    .action(async (opts: { record?: string }, cmd: Command) => {
      const { root } = cmd.optsWithGlobals<GlobalOptions>();
      const found = recordFromOption(root, opts.record);
      if (!found) {
        io.out('No apply record: no joiner to confirm.\n');
        return setExit(0);
      }
      const { index, file, record } = found;
      const items = dayOneItems(record, index, path.basename(file));
      if (items.length === 0) {
        io.out(`${path.basename(file)}: no joiner's access was created.\n`);
        return setExit(0);
      }
      const { client, owner, repo } = await githubAccess();
      const existing = await readDayOneIssues(client, owner, repo);
      for (const item of items) {
        const same = existing.find((i) => {
          const m = parseDayOneMarker(i.body);
          return m?.person === item.person && m.start === item.start;
        });
        if (same) {
          io.out(`already there: ${same.url} ${item.title}\n`);
          continue;
        }
        const res = await client.octokit.rest.issues.create({
          owner,
          repo,
          title: item.title,
          body: `${item.marker}\n${item.body}`,
          labels: item.labels,
          assignees: item.assignees,
        });
        io.out(`opened: ${res.data.html_url} ${item.title}\n`);
        if (!item.managerLogin)
          io.err(`Note: ${item.person}'s manager has no github login in people/: the issue is unassigned.\n`);
      }
      setExit(0);
    });

  gh.command('day-one-status')
    .description(
      "Record when each joiner's manager confirmed and IT reviewed their day-one access; list those past policy sla.dayOneHours and every /wrong flag. Exit 0 none, 2 some (for the drift report), 1 error.",
    )
    .option('--at <time>', 'as of this instant (ISO with offset) or date; default now')
    .option('--out <file>', "write every joiner's status (confirmed at, reviewed at, within SLA) as JSON")
    .action(async (opts: { at?: string; out?: string }, cmd: Command) => {
      const { root } = cmd.optsWithGlobals<GlobalOptions>();
      const index = indexCheckout(path.resolve(root));
      const at = parseAtOption(opts.at, io.clock ? () => io.clock!.now() : undefined)(index.policy.timezone);
      const { client, owner, repo } = await githubAccess();
      const issues = await readDayOneIssues(client, owner, repo);
      const statuses = dayOneStatus(issues, index, at);
      if (opts.out)
        writeFileAtomic.sync(
          path.resolve(opts.out),
          `${JSON.stringify({ at: new Date(at).toISOString(), statuses }, null, 2)}\n`,
        );
      const open = new Set(issues.filter((i) => i.state === 'open').map((i) => i.number));
      const live = statuses.filter((s) => open.has(s.issue));
      const text = dayOneMarkdown(live, at);
      if (!text) {
        io.out(
          `No joiner unconfirmed or unreviewed past ${index.policy.sla.dayOneHours} h (policy/jml.yaml sla.dayOneHours), no access flagged as wrong (${statuses.length} day-one issue(s) read).\n`,
        );
        return setExit(0);
      }
      io.out(text);
      setExit(2);
    });
}
