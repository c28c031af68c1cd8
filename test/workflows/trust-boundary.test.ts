/**
 * The trust boundary (trust-boundary.ts) holds for every workflow file in .github/workflows,
 * and each attack it exists for, written as a workflow, is refused: so the rule can fail.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evidenceWriteViolations, trustViolations } from './trust-boundary.js';

const dir = path.resolve(import.meta.dirname, '../../.github/workflows');
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));

/** A trusted job as pull-request-trusted.yml writes it; `steps` replaces its last steps. */
function trustedJob(on: string, steps: string, extra = ''): string {
  return `on:
  ${on}:
permissions: {}
jobs:
  judge:
    runs-on: ubuntu-latest
    environment: approvals
    permissions:
      contents: read
${extra}    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
        with:
          ref: \${{ github.sha }}
          path: base
          persist-credentials: false
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
        with:
          ref: \${{ github.event.pull_request.head.sha || github.event.workflow_run.head_sha }}
          path: head
          persist-credentials: false
${steps}`;
}

const SAFE_STEPS = `      - uses: actions/setup-node@39370e3970a6d050c480ffad4ff0ed4d3fdee5af
        with:
          node-version: 20
      - run: npm ci
        working-directory: base
      - env:
          PR: \${{ github.event.pull_request.number }}
        run: node base/bin/jml.js -C head approvals --base base --pr "$PR" --check-run
`;

describe('the trust boundary of the workflows', () => {
  it.each(files)(
    '%s: no job holding a secret, an environment, OIDC or a write runs pull request code',
    (file) => {
      expect(trustViolations(readFileSync(path.join(dir, file), 'utf8'), file)).toEqual([]);
    },
  );

  it('the trusted judge as the workflows write it passes, on pull_request_target and on workflow_run', () => {
    expect(trustViolations(trustedJob('pull_request_target', SAFE_STEPS), 'x.yml')).toEqual([]);
    expect(trustViolations(trustedJob('workflow_run', SAFE_STEPS), 'x.yml')).toEqual([]);
  });
});

describe('each attack, written as a workflow, is refused', () => {
  it('a pull_request_target workflow that runs npm ci in the head checkout is refused', () => {
    const wf = trustedJob(
      'pull_request_target',
      `      - run: npm ci
        working-directory: head
`,
    );
    expect(trustViolations(wf, 'x.yml')).toEqual([
      'x.yml job judge: runs "npm ci" with working-directory head, the pull request\'s checkout',
      'x.yml job judge: runs npm outside the base checkout ("npm ci" in head)',
    ]);
  });

  it('a pull_request_target workflow that installs from the head with --prefix is refused', () => {
    const wf = trustedJob('pull_request_target', '      - run: npm ci --prefix head\n');
    expect(trustViolations(wf, 'x.yml')).toContain(
      'x.yml job judge: "npm ci --prefix head" uses the pull request\'s checkout head/ as more than data',
    );
  });

  it('a pull_request workflow that gives a job a secret is refused', () => {
    const wf = `on: pull_request
permissions: {}
jobs:
  plan:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - env:
          OKTA_PRIVATE_KEY: \${{ secrets.OKTA_PRIVATE_KEY }}
        run: npx jml plan
`;
    expect(trustViolations(wf, 'x.yml')).toEqual([
      "x.yml job plan: holds secrets OKTA_PRIVATE_KEY in a workflow triggered by pull_request, which runs the pull request's own definition",
    ]);
  });

  it('a pull_request workflow that asks for an environment or an OIDC token is refused, reviews included', () => {
    const wf = `on:
  pull_request_review:
permissions: {}
jobs:
  plan:
    runs-on: ubuntu-latest
    environment: plan
    permissions:
      contents: read
      id-token: write
    steps:
      - run: npx jml plan
`;
    expect(trustViolations(wf, 'x.yml')).toEqual([
      'x.yml job plan: holds environment "plan"; id-token: write in a workflow triggered by pull_request_review, which runs the pull request\'s own definition',
    ]);
  });

  it('a trusted job that runs npx is refused', () => {
    const wf = trustedJob(
      'workflow_run',
      `      - run: npm ci
        working-directory: base
      - run: npx jml approvals --base base --pr-of-commit "$SHA"
`,
    );
    expect(trustViolations(wf, 'x.yml')).toEqual([
      'x.yml job judge: runs npx ("npx jml approvals --base base --pr-of-commit $SHA"); npx resolves from the working directory',
      'x.yml job judge: runs jml other than as node base/bin/jml.js ("npx jml approvals --base base --pr-of-commit $SHA")',
    ]);
  });

  it("a trusted job that runs the head's engine is refused", () => {
    const wf = trustedJob(
      'pull_request_target',
      '      - run: node head/bin/jml.js -C head approvals --base base\n',
    );
    expect(trustViolations(wf, 'x.yml')).toEqual([
      'x.yml job judge: runs jml other than as node base/bin/jml.js ("node head/bin/jml.js -C head approvals --base base")',
      'x.yml job judge: "node head/bin/jml.js -C head approvals --base base" uses the pull request\'s checkout head/ as more than data',
    ]);
  });

  it("a trusted job that runs a script of the head's, or cds into it, is refused", () => {
    const wf = trustedJob(
      'pull_request_target',
      '      - run: |\n          bash head/scripts/ci/restore-holds.sh\n          cd head && make\n',
    );
    expect(trustViolations(wf, 'x.yml')).toEqual([
      'x.yml job judge: "bash head/scripts/ci/restore-holds.sh" uses the pull request\'s checkout head/ as more than data',
      'x.yml job judge: "cd head" uses the pull request\'s checkout head/ as more than data',
    ]);
  });

  it("a workflow_run job that checks out the pull request's head into the workspace itself is refused", () => {
    const wf = `on:
  workflow_run:
    workflows: [review-submitted]
    types: [completed]
permissions: {}
jobs:
  judge:
    runs-on: ubuntu-latest
    permissions:
      pull-requests: write
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
        with:
          ref: \${{ github.event.workflow_run.head_sha }}
          persist-credentials: false
`;
    expect(trustViolations(wf, 'x.yml')).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, not a JS template
      "x.yml job judge: checks out the pull request's ${{ github.event.workflow_run.head_sha }} without a path of its own (it would be the workspace every step runs in)",
    ]);
  });

  it('a trusted job whose setup-node keeps a cache is refused', () => {
    const wf = trustedJob(
      'pull_request_target',
      `      - uses: actions/setup-node@39370e3970a6d050c480ffad4ff0ed4d3fdee5af
        with:
          node-version: 20
          cache: npm
          cache-dependency-path: base/package-lock.json
`,
    );
    expect(trustViolations(wf, 'x.yml')).toEqual([
      'x.yml job judge: setup-node keeps a cache (actions/setup-node@39370e3970a6d050c480ffad4ff0ed4d3fdee5af); a privileged pull request job keeps none',
    ]);
  });

  it('a trusted job that restores or saves a cache, with actions/cache or either half of it, is refused', () => {
    for (const action of ['cache', 'cache/restore', 'cache/save']) {
      const wf = trustedJob(
        'workflow_run',
        `      - uses: actions/${action}@5a3ec84eff668545956fd18022155c47e93e2684
        with:
          path: .jml/drift
          key: jml-drift-x
`,
      );
      expect(trustViolations(wf, 'x.yml')).toEqual([
        `x.yml job judge: restores a cache (actions/${action}@5a3ec84eff668545956fd18022155c47e93e2684); a privileged pull request job keeps none`,
      ]);
    }
  });

  it("a job of a pull_request_target workflow that holds nothing still may not run the pull request's code: its cache is the default branch's", () => {
    const wf = trustedJob(
      'pull_request_target',
      `      - run: npm ci
        working-directory: head
`,
    )
      .replace('    environment: approvals\n', '')
      .replace('    permissions:\n      contents: read\n', '    permissions: {}\n');
    expect(trustViolations(wf, 'x.yml')).toEqual([
      'x.yml job judge: runs "npm ci" with working-directory head, the pull request\'s checkout',
      'x.yml job judge: runs npm outside the base checkout ("npm ci" in head)',
    ]);
  });

  it('a trusted job that runs every step in the head checkout is refused', () => {
    const wf = trustedJob(
      'pull_request_target',
      SAFE_STEPS,
      '    defaults:\n      run:\n        working-directory: head\n',
    );
    expect(trustViolations(wf, 'x.yml')[0]).toBe(
      "x.yml job judge: runs every step in the pull request's checkout (defaults.run.working-directory)",
    );
  });

  it('a workflow that grants itself checks: write, to post a check named jml/approvals, is refused', () => {
    const wf = `on: pull_request
permissions: {}
jobs:
  fake:
    runs-on: ubuntu-latest
    permissions:
      checks: write
    steps:
      - run: echo approved
`;
    expect(trustViolations(wf, 'x.yml')).toEqual([
      'x.yml job fake: grants checks: write (only the approvals app posts verdicts; any other source of one is a fake)',
      "x.yml job fake: holds checks: write in a workflow triggered by pull_request, which runs the pull request's own definition",
    ]);
  });

  it('a job with the repository default token in a pull_request workflow is refused', () => {
    const wf =
      'on: [pull_request]\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n';
    expect(trustViolations(wf, 'x.yml')).toEqual([
      "x.yml job a: holds permissions default in a workflow triggered by pull_request, which runs the pull request's own definition",
    ]);
  });
});

/** A job that keeps records: `steps` are its last steps (after a checkout). */
function evidenceJob(steps: string, env = 'production'): string {
  return `on: push
permissions: {}
jobs:
  apply:
    runs-on: ubuntu-latest
    environment: ${env}
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
        with:
          persist-credentials: false
${steps}`;
}

const MINT_STEP = `      - id: evidence-token
        if: always()
        uses: actions/create-github-app-token@df432ceedc7162793a195dd1713ff69aefc7379e
        with:
          app-id: \${{ vars.JML_APPROVALS_APP_ID }}
          private-key: \${{ secrets.JML_APPROVALS_APP_PRIVATE_KEY }}
          permission-contents: write
`;
const KEEP_STEP = `      - name: Keep the record
        if: always()
        env:
          GITHUB_TOKEN: \${{ steps.evidence-token.outputs.token }}
        run: scripts/ci/keep-evidence.sh .jml/records
`;

describe('the evidence branch has one writer: the approvals app', () => {
  it.each(files)(
    '%s: every step that writes the evidence branch pushes with the approvals app token',
    (file) => {
      expect(evidenceWriteViolations(readFileSync(path.join(dir, file), 'utf8'), file)).toEqual([]);
    },
  );

  it('the record kept as the workflows keep it passes', () => {
    expect(evidenceWriteViolations(evidenceJob(MINT_STEP + KEEP_STEP), 'x.yml')).toEqual([]);
  });

  it("keeping the records with the workflow's own github.token is refused", () => {
    const wf = evidenceJob(KEEP_STEP.replace('steps.evidence-token.outputs.token', 'github.token'));
    expect(evidenceWriteViolations(wf, 'x.yml')).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, not a JS template
      'x.yml job apply: "Keep the record" writes the evidence branch with GITHUB_TOKEN ${{ github.token }}, not the approvals app\'s token minted earlier in the job',
    ]);
  });

  it('a git push of the evidence branch with github.token, or with no token, is refused', () => {
    const wf = evidenceJob(`      - env:
          GITHUB_TOKEN: \${{ github.token }}
        run: |
          git add -A && git commit -m forged
          git push origin HEAD:jml-evidence
      - run: git -C work push -q "$REMOTE" HEAD:jml-evidence
`);
    expect(evidenceWriteViolations(wf, 'x.yml')).toHaveLength(2);
  });

  it('a token minted after the push, of another app, with more than contents: write, or beyond this repository is refused', () => {
    expect(evidenceWriteViolations(evidenceJob(KEEP_STEP + MINT_STEP), 'x.yml')[0]).toMatch(
      /not the approvals app's token minted earlier in the job/,
    );
    const other = MINT_STEP.replace('vars.JML_APPROVALS_APP_ID', 'vars.OTHER_APP_ID');
    expect(evidenceWriteViolations(evidenceJob(other + KEEP_STEP), 'x.yml')).toEqual([
      expect.stringMatching(/a token of another app than the approvals app/),
    ]);
    const wider = `${MINT_STEP}          permission-administration: write\n`;
    expect(evidenceWriteViolations(evidenceJob(wider + KEEP_STEP), 'x.yml')).toEqual([
      expect.stringMatching(
        /asking for \{"permission-contents":"write","permission-administration":"write"\}/,
      ),
    ]);
    const owner = `${MINT_STEP}          owner: acme\n`;
    expect(evidenceWriteViolations(evidenceJob(owner + KEEP_STEP), 'x.yml')).toEqual([
      expect.stringMatching(/scoped beyond this repository/),
    ]);
  });

  it('a token minted only on success, for a step that keeps the record always, is refused', () => {
    const wf = evidenceJob(MINT_STEP.replace('        if: always()\n', '') + KEEP_STEP);
    expect(evidenceWriteViolations(wf, 'x.yml')).toEqual([
      expect.stringMatching(
        /runs always\(\), but the token it needs is minted only when the steps before succeed/,
      ),
    ]);
  });
});
