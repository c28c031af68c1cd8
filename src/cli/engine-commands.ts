/**
 * plan, apply, drift and dump: the commands that read providers. Each parses its flags, calls one
 * engine use case (src/engine/), renders what comes back and sets the exit code.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { applyRepository } from '../engine/apply.js';
import { indexCheckout } from '../engine/checkout.js';
import { dumpState } from '../engine/dump.js';
import { detectDrift, planRepository } from '../engine/plan.js';
import { personNames } from '../engine/prepare.js';
import { type ProviderName, providerName } from '../model/schema.js';
import { parsePlanFile } from '../plan/plan-schema.js';
import type { Plan } from '../plan/plan-types.js';
import type { ApplyRecord } from '../records/schema.js';
import { renderApplyText } from '../report/render-apply.js';
import {
  type PlanCommentContext,
  planCommentContext,
  renderPlanJson,
  renderPlanMarkdown,
  renderPlanText,
} from '../report/render-plan.js';
import { renderDriftReads } from './drift-reads.js';
import { contextOf, type Exit, type GlobalOptions, type Io } from './io.js';
import {
  EXIT_SLA_BREACH,
  exitCode,
  prepareRequest,
  reportBreaches,
  reportOutcome,
  triggerFromEnv,
  withoutConfirm,
} from './run-support.js';

/**
 * The line that says a run was a replay (its record's `simulated`, src/apply/replay.ts), or
 * nothing: a replay's times must never be read as a real run's.
 */
export function replayNote(record: ApplyRecord): string {
  const s = record.simulated;
  if (!s) return '';
  return (
    `Replay at ${s.startedAt} (simulated clock; it ran at ${record.startedAt}): its changes and leaver lags ` +
    'are timed on the simulated clock, and its record is marked simulated: not SLA evidence, and an SLA ' +
    'verdict in it never sets exit 3.\n'
  );
}

const providerOption = () =>
  new Option('--provider <name>', 'only this provider').choices(providerName.options as unknown as string[]);
/** The --provider value as a provider name (commander has refused any other choice already). */
const onlyProvider = (value: string | undefined): ProviderName | undefined =>
  value === undefined ? undefined : providerName.parse(value);

function renderPlan(
  plan: Plan,
  format: string,
  names: Map<string, string>,
  io: Io,
  summary: boolean,
  comment: () => PlanCommentContext,
): string {
  if (format === 'json') return renderPlanJson(plan);
  if (format === 'markdown') return renderPlanMarkdown(plan, names, comment());
  return renderPlanText(plan, names, io.isTty, { summaryOnly: summary });
}

/**
 * The providers `jml apply --plan` reads: the plan's own scope. A plan of one provider (made with
 * --provider) applies to that one; a --provider that names another is refused, and a plan of
 * several providers cannot be narrowed to one (its fingerprint covers them all).
 */
export function planScope(
  plan: Plan,
  asked: ProviderName | undefined,
): { only: ProviderName | undefined } | { refused: string } {
  const names = plan.providers.map((p) => p.name);
  const one = names.length === 1 ? names[0] : undefined;
  if (asked && one && asked !== one)
    return { refused: `the plan was made for --provider ${one}; --provider ${asked} contradicts it.` };
  if (asked && !one)
    return {
      refused: `the plan covers ${names.join(', ')}; --provider ${asked} would apply part of it. Make a plan with --provider ${asked} instead.`,
    };
  return { only: one };
}

/**
 * What a plan made with `--base` says when the pull request changes provider connections: they
 * were not used (the head is not trusted with credentials), so the plan shows the change only
 * once it is merged.
 */
export function baseConnectionsNote(providers: readonly string[]): string {
  const which = providers.map((n) => `providers.${n}`).join(', ');
  return `planned with the base branch's connections; the pull request's provider change takes effect after merge (${which} differs).`;
}

export function registerEngineCommands(program: Command, io: Io, setExit: Exit): void {
  program
    .command('plan')
    .description(
      'Show what apply would change, with the reason for each change. Exit 0 (or 2 with --detailed-exitcode when there are changes), 1 on error.',
    )
    .option('--at <time>', 'plan as of this instant (ISO with offset) or date (org time zone); default now')
    .addOption(providerOption())
    .option('--out <file>', 'also write the plan as JSON, for jml apply --plan')
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'markdown', 'json']).default('text'),
    )
    .option('--detailed-exitcode', 'exit 2 when the plan has changes')
    .option('--summary', 'text format: one line per person instead of every change')
    .option(
      '--base <dir>',
      "a checkout of the base branch: the provider connections and the records (holds) are taken from its policy/jml.yaml, never from -C's (a pull request's head)",
    )
    .action(
      async (
        opts: {
          at?: string;
          provider?: string;
          out?: string;
          format: string;
          detailedExitcode?: boolean;
          summary?: boolean;
          base?: string;
        },
        cmd: Command,
      ) => {
        const { root } = cmd.optsWithGlobals<GlobalOptions>();
        const req = prepareRequest(io, root, opts.at, onlyProvider(opts.provider), opts.base);
        const r = await planRepository(contextOf(io), { ...req, ...(opts.out ? { out: opts.out } : {}) });
        if (!reportOutcome(r, io)) return setExit(1);
        const { prepared: p, plan } = r;
        const note = p.connectionsOverridden.length > 0 ? baseConnectionsNote(p.connectionsOverridden) : '';
        if (note) io.err(`Note: ${note}\n`);
        // The pull request's comment: warnings and notes in it, and, with the base branch, what
        // merge schedules and when, in the organisation's zone.
        const comment = () =>
          planCommentContext(p.index, p.at, {
            ...(opts.base ? { base: indexCheckout(path.resolve(opts.base)) } : {}),
            warnings: r.notices.flatMap((n) => (n.kind === 'warnings' ? n.diagnostics : [])),
            notes: note ? [note] : [],
          });
        const rendered = renderPlan(
          plan,
          opts.format,
          personNames(p.index),
          io,
          Boolean(opts.summary),
          comment,
        );
        // The JSON stays a Plan (jml apply --plan reads it); the note is on stderr for it, and in
        // the markdown comment itself.
        if (note && opts.format === 'text') io.out(`Note: ${note}\n\n${rendered}`);
        else io.out(rendered);
        setExit(opts.detailedExitcode && plan.changes.length > 0 ? 2 : 0);
      },
    );

  program
    .command('apply')
    .description(
      `Apply the plan to the providers. Needs --confirm. Exit 0 when everything applied, ${EXIT_SLA_BREACH} when a leaver's SLA was breached, 1 when anything else went wrong.`,
    )
    .option('--plan <file>', 'apply exactly this plan (refused if the providers changed since it was made)')
    .option('--confirm', 'really write to the providers')
    .option('--at <time>', 'plan as of this instant or date (not with --plan); default now')
    .addOption(providerOption())
    .option('--allow-mass-removal', 'allow removing more memberships than policy safety.maxRemovalShare')
    .option('--allow-mass-disable', 'allow disabling more people than policy safety.maxDisables')
    .option('--allow-delete', 'allow deleting accounts past their retention period')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(
      async (
        opts: {
          plan?: string;
          confirm?: boolean;
          at?: string;
          provider?: string;
          allowMassRemoval?: boolean;
          allowMassDisable?: boolean;
          allowDelete?: boolean;
          format: string;
        },
        cmd: Command,
      ) => {
        const { root } = cmd.optsWithGlobals<GlobalOptions>();
        if (withoutConfirm(opts.confirm, io, 'apply', 'To see what it would do, run jml plan.'))
          return setExit(1);
        if (opts.plan && opts.at) {
          io.err(
            'jml apply: --at and --plan contradict each other (a plan carries its own time). Give one.\n',
          );
          return setExit(1);
        }
        let given: Plan | undefined;
        if (opts.plan) {
          const read = parsePlanFile(readFileSync(path.resolve(opts.plan), 'utf8'), opts.plan);
          if (!read.ok) {
            io.err(`jml apply: ${read.message}\n`);
            return setExit(1);
          }
          given = read.plan;
        }
        // A plan file carries its scope (the providers it read): apply reads exactly those.
        const scope = given
          ? planScope(given, onlyProvider(opts.provider))
          : { only: onlyProvider(opts.provider) };
        if ('refused' in scope) {
          io.err(`jml apply: ${scope.refused}\n`);
          return setExit(1);
        }
        const r = await applyRepository(contextOf(io), {
          ...prepareRequest(io, root, given?.at ?? opts.at, scope.only),
          ...(given ? { plan: given } : {}),
          flags: {
            allowMassRemoval: Boolean(opts.allowMassRemoval),
            allowMassDisable: Boolean(opts.allowMassDisable),
            allowDelete: Boolean(opts.allowDelete),
          },
          trigger: triggerFromEnv(cmd),
        });
        if (!reportOutcome(r, io)) return setExit(1);
        const { prepared: p, outcome } = r;
        if (opts.format === 'json') io.out(`${JSON.stringify(outcome.record, null, 2)}\n`);
        else io.out(renderApplyText(outcome, personNames(p.index), io.isTty) + replayNote(outcome.record));
        // A replay's SLA verdicts are the replay's: shown with its timings, never a real breach's alarm.
        const breached = reportBreaches(outcome.record.simulated ? [] : (outcome.record.leavers ?? []), io);
        setExit(exitCode(outcome.record.result, breached));
      },
    );

  program
    .command('drift')
    .description('Compare the providers with the repository now. Exit 0 none, 2 drift, 1 error.')
    .option('--at <time>', 'compare as of this instant or date; default now')
    .addOption(providerOption())
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'),
    )
    .option(
      '--state <dir>',
      'where the change feeds keep their checkpoints between runs (docs/drift.md), relative to the repository',
      '.jml/drift',
    )
    .option('--full', 'read every provider in full even with a valid checkpoint, and keep a fresh one')
    .action(
      async (
        opts: { at?: string; provider?: string; format: string; state: string; full?: boolean },
        cmd: Command,
      ) => {
        const { root } = cmd.optsWithGlobals<GlobalOptions>();
        const r = await detectDrift(contextOf(io), {
          ...prepareRequest(io, root, opts.at, onlyProvider(opts.provider)),
          stateDir: path.resolve(root, opts.state),
          ...(opts.full ? { full: true } : {}),
        });
        if (!reportOutcome(r, io)) return setExit(1);
        const { plan, findings, reads } = r;
        const bullet = opts.format === 'markdown' ? '- ' : '  ';
        if (opts.format === 'json')
          io.out(
            `${JSON.stringify({ at: plan.at, fingerprint: plan.fingerprint, findings, reads }, null, 2)}\n`,
          );
        else if (findings.length === 0)
          io.out(`No drift at ${plan.at}: every provider matches the repository.\n`);
        else {
          io.out(
            `${findings.length} difference(s) between the providers and the repository at ${plan.at}:\n`,
          );
          for (const f of findings) io.out(`${bullet}[${f.kind}] ${f.explanation}\n`);
          io.out(
            'Run jml plan to see the changes that would fix this, and jml apply --confirm to make them.\n',
          );
        }
        // Said when a change feed was involved; a repository of embedded providers only reads in full.
        if (opts.format !== 'json' && reads.some((x) => x.reason !== 'no-feed'))
          io.out(`\n${renderDriftReads(reads, bullet)}`);
        setExit(findings.length ? 2 : 0);
      },
    );

  program
    .command('dump')
    .description('Write the live state of a provider as repository YAML (onboarding an existing tenant).')
    .addOption(providerOption().makeOptionMandatory())
    .option('--out <dir>', 'directory to write people/, roles/ and policy/entitlements.yaml into', 'dump')
    .action(async (opts: { provider: string; out: string }, cmd: Command) => {
      const { root } = cmd.optsWithGlobals<GlobalOptions>();
      const r = await dumpState(contextOf(io), {
        ...prepareRequest(io, root, undefined, onlyProvider(opts.provider)),
        outDir: opts.out,
      });
      if (!reportOutcome(r, io)) return setExit(1);
      const { written } = r;
      io.out(
        `Wrote ${written.length} files to ${opts.out}/ (review them before copying into the repository).\n`,
      );
      setExit(0);
    });
}
