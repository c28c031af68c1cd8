/**
 * cli: one or two examples per command, shown at the end of its `--help` (main.ts adds them to
 * every command it registers; test/cli/help.test.ts checks each command has its own and that each
 * example names only options the command has). Examples use the example organisation's ids.
 */
export const EXAMPLES: Readonly<Record<string, readonly [string, string][]>> = {
  validate: [
    ['jml validate', 'check every file; exit 1 with file, line and what to do for each error'],
    ['jml validate --format github', 'the same as annotations on a pull request'],
  ],
  schemas: [
    ['jml schemas --local', "after pulling: the editor completes and checks the organisation's ids"],
    ['jml schemas --check', 'in CI: fail when schemas/ is stale'],
  ],
  plan: [
    ['jml plan', 'what apply would change now, with the reason for each change'],
    ['jml plan --at 2027-02-01 --provider okta', 'the day of a move, on one provider'],
    ['jml plan --out plan.json', 'keep the plan to apply exactly it later'],
  ],
  apply: [
    ['jml apply --confirm', 'plan now and apply it, under the safety guards'],
    [
      'jml apply --plan plan.json --confirm',
      'apply exactly a reviewed plan (refused if the providers moved)',
    ],
  ],
  drift: [['jml drift --format markdown', 'what differs between the providers and the repository']],
  dump: [['jml dump --provider okta --out imported', "a tenant's live state as repository YAML"]],
  approvals: [
    ['jml approvals --base base --changes pr.json', 'whose approvals a pull request needs, from its facts'],
    ['jml approvals --base base --pr 42 --comment --check-run', 'in the trusted workflow'],
  ],
  codeowners: [
    ['jml codeowners', 'write .github/CODEOWNERS from people/ and roles/'],
    ['jml codeowners --check', 'in CI: fail when it is stale'],
  ],
  github: [['jml github comment --pr 42 --file plan.md', 'the workflows’ GitHub steps (see each --help)']],
  'github day-one': [['jml github day-one', 'one issue per joiner whose accounts the last apply created']],
  'github day-one-status': [
    ['jml github day-one-status', 'confirmations past sla.dayOneHours and /wrong flags'],
    ['jml github day-one-status --evidence evidence/records', 'and keep what changed as a record'],
  ],
  'github comment': [
    ['jml github comment --pr 42 --kind plan --file plan.md', 'one sticky plan comment'],
    ['jml github comment --commit "$GITHUB_SHA" --file apply.md', 'on the pull requests a commit merged'],
  ],
  'github oidc': [
    [
      'jml github oidc --when-connected entra --audience api://AzureADTokenExchange --env ENTRA_FEDERATED_TOKEN',
      "the workflow's OIDC token for a provider login",
    ],
  ],
  'github issue': [
    ['jml github issue --title "jml: drift" --file drift.md', 'one open issue with that title'],
    ['jml github issue --title "jml: drift" --close', 'close it when the drift is gone'],
  ],
  'github work-issues': [
    ['jml github work-issues', 'manual work of the last apply as issues, linked from its record'],
  ],
  'github merge-evidence': [
    [
      'jml github merge-evidence --commit "$GITHUB_SHA"',
      "the merge's pull request, reviews and verdict into the apply record",
    ],
  ],
  'github ticket-status': [
    [
      'jml github ticket-status --evidence evidence/records',
      'record manual-work tickets whose state changed',
    ],
  ],
  'github prune-exceptions': [
    ['jml github prune-exceptions --base main', 'one pull request deleting expired exceptions'],
  ],
  'github overdue-work': [['jml github overdue-work', 'manual work open longer than sla.manualWorkHours']],
  doctor: [['jml doctor --branch main', 'the GitHub settings the approval gate relies on']],
  evidence: [
    ['jml evidence --out pack --since 90d', 'the evidence pack for the last quarter'],
    ['jml evidence verify pack', 'recompute every hash of a pack'],
  ],
  'evidence verify': [
    ['jml evidence verify pack', 'exit 2 when a file was edited, added or removed'],
    [
      'jml evidence verify pack --digest <sha256>',
      'and check the manifest against the digest kept on the evidence branch',
    ],
  ],
  leavers: [
    ['jml leavers --confirm --window 20m', 'cut each leaver due in the next 20 minutes at their minute'],
  ],
  offboard: [
    [
      'jml offboard ben.carter --now --reason "INC-4411"',
      'emergency: cut every account now, then the pull request',
    ],
    ['jml offboard ben.carter --cancel --reason "wrong person"', 'lift a mistaken emergency offboarding'],
  ],
  hr: [['jml hr sync --source bamboohr --dry-run', "HR's changes as pull requests (see hr sync --help)"]],
  'hr sync': [
    ['jml hr sync --source bamboohr --dry-run', 'what the HR system would change, opening nothing'],
    ['jml hr sync --snapshot hr.jsonl', 'one pull request per joiner, mover and leaver from a snapshot file'],
  ],
  review: [
    ['jml review start --quarter 2027-Q1 --due 2027-04-15', 'the quarterly access review (see each --help)'],
  ],
  'review start': [
    ['jml review start --quarter 2027-Q1 --due 2027-04-15', 'one file per reviewer, as pull requests'],
  ],
  'review check': [
    [
      'jml review check --quarter 2027-Q1 --pr 57',
      "a reviewer's pull request: decisions complete and signed",
    ],
  ],
  'review apply': [
    ['jml review apply --quarter 2027-Q1 --confirm', 'revoke what reviewers decided to revoke'],
  ],
  'review due': [
    ['jml review due --quarter 2027-Q1 --confirm', 'at the due date: the policy for items nobody decided'],
  ],
  'review report': [
    ['jml review report --quarter 2027-Q1 --out review-2027-q1', "the quarter's report for the auditor"],
  ],
};

/** The help text after a command's options: its examples, aligned. */
export function examplesHelp(path: string): string | undefined {
  const list = EXAMPLES[path];
  if (!list?.length) return undefined;
  return `\nExamples:\n${list.map(([cmd, what]) => `  $ ${cmd}\n      ${what}`).join('\n')}\n`;
}
