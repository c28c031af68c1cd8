/**
 * The approval gate under attack: someone with write access to a branch wants access without
 * the approvals it needs. Each case is an attack reproduced on the file-by-path approvals, and
 * now refused because approvals are judged by what the change does to the loaded model.
 *
 * The fixture organisation (test/fixtures/approvals/org/README.md): HR is hana.hr (@hana-h),
 * security sam.sec (@sam-s); grace.lin (@grace-l) manages alice.nguyen and pat.peer (@pat-p);
 * omar.owner (@omar-o) owns the high-risk prod-db-admin; ron.roles (@ron-r) owns the engineer role.
 */
import { linkSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decide } from '../../src/approvals/decide.js';
import type { Decision } from '../../src/approvals/types.js';
import { indexCheckout } from '../../src/engine/checkout.js';
import { cleanTempDirs, jml, readRepoFile, writeRepoFile } from '../engine/helpers.js';
import {
  approve,
  decideScenario,
  editYaml,
  HEAD_SHA,
  NOW,
  removeFile,
  scenario,
  writeYaml,
} from './helpers.js';

afterAll(cleanTempDirs);

const explain = (d: Decision) => JSON.stringify(d.requirements, null, 1);
const missing = (d: Decision) => d.requirements.filter((r) => r.status === 'missing').map((r) => r.rule);

describe('the approval gate holds under attack', () => {
  describe('symlinks walk around approvals', () => {
    it('a person file turned into a link to the folder README is refused, whatever the README says', () => {
      const s = scenario((head) => {
        const alice = readRepoFile(head, 'people/alice.nguyen.yaml');
        writeRepoFile(head, 'people/README.md', alice);
        rmSync(path.join(head, 'people/alice.nguyen.yaml'));
        symlinkSync('README.md', path.join(head, 'people/alice.nguyen.yaml'));
      });
      const d = decideScenario(s, { author: 'hana-h', reviews: [] });
      expect(d.approved, explain(d)).toBe(false);
      const refused = d.requirements.find((r) => r.rule === 'head-invalid');
      expect(refused?.file).toBe('people/alice.nguyen.yaml');
      expect(refused?.change).toBe('jml validate: symlink');
    });

    it('an exception file turned into a link to exceptions/README.md is refused', () => {
      const s = scenario((head) => {
        writeRepoFile(head, 'exceptions/README.md', readRepoFile(head, 'exceptions/EXC-0001.yaml'));
        rmSync(path.join(head, 'exceptions/EXC-0001.yaml'));
        symlinkSync('README.md', path.join(head, 'exceptions/EXC-0001.yaml'));
      });
      const d = decideScenario(s, { author: 'hana-h', reviews: [approve('sam-s')] });
      expect(d.approved, explain(d)).toBe(false);
      expect(
        d.requirements.some((r) => r.rule === 'head-invalid' && r.file === 'exceptions/EXC-0001.yaml'),
      ).toBe(true);
    });

    it('editing only a README that a data file links to changes nobody: the link itself never loads', () => {
      // The link was merged before this check existed: the base already holds it.
      const s = scenario((head, base) => {
        for (const dir of [head, base]) {
          writeRepoFile(dir, 'people/README.md', readRepoFile(dir, 'people/alice.nguyen.yaml'));
          rmSync(path.join(dir, 'people/alice.nguyen.yaml'));
          symlinkSync('README.md', path.join(dir, 'people/alice.nguyen.yaml'));
        }
        editYaml(head, 'people/README.md', (v) => {
          (v.roles as unknown[]).push({ role: 'engineer', from: '2026-11-21' });
        });
      });
      const d = decideScenario(s, { author: 'hana-h', reviews: [] });
      // Nothing loads alice on either side, so nothing changes; and the plan refuses the link.
      expect(d.effects).toEqual([]);
      expect(d.notes.some((n) => n.startsWith('people/README.md'))).toBe(true);
    });
  });

  describe('identity fields need the manager of record (or security) besides HR', () => {
    const identity = {
      email: 'm.allory@example.com',
      manager: 'bob.boss',
      github: 'mallory-m',
      hrId: 'HR-9999',
    };
    for (const [field, value] of Object.entries(identity)) {
      it(`an HR member changing another person's ${field} alone is not approved`, () => {
        const s = scenario((head) =>
          editYaml(head, 'people/alice.nguyen.yaml', (v) => {
            v[field] = value;
          }),
        );
        const d = decideScenario(s, { author: 'hana-h', reviews: [] });
        expect(d.approved, explain(d)).toBe(false);
        expect(missing(d)).toContain('identity-change');
        const ok = decideScenario(s, { author: 'hana-h', reviews: [approve('grace-l')] });
        expect(ok.approved, explain(ok)).toBe(true);
      });
    }

    it('security may approve an identity change instead of the manager', () => {
      const s = scenario((head) =>
        editYaml(head, 'people/alice.nguyen.yaml', (v) => {
          v.email = 'alice.n@example.com';
        }),
      );
      const d = decideScenario(s, { author: 'hana-h', reviews: [approve('sam-s')] });
      expect(d.approved, explain(d)).toBe(true);
    });

    it('the manager of record who authors an identity change cannot approve it: security must', () => {
      const s = scenario((head) =>
        editYaml(head, 'people/alice.nguyen.yaml', (v) => {
          v.manager = 'bob.boss';
        }),
      );
      const d = decideScenario(s, { author: 'grace-l', reviews: [approve('hana-h'), approve('grace-l')] });
      expect(d.approved, explain(d)).toBe(false);
      expect(missing(d)).toEqual(['identity-change']);
    });
  });

  describe('an approver who may not approve today never counts', () => {
    const mover = (head: string) =>
      editYaml(head, 'people/alice.nguyen.yaml', (v) => {
        (v.roles as unknown[]).push({ role: 'employee', from: '2026-12-01' });
      });

    it('a departed manager (employment.end passed on the base branch) does not count', () => {
      const s = scenario((head, base) => {
        mover(head);
        for (const dir of [head, base])
          editYaml(dir, 'people/grace.lin.yaml', (v) => {
            (v.employment as Record<string, unknown>).end = '2026-11-01T17:00:00-04:00';
          });
      });
      const d = decideScenario(s, { author: 'hana-h', reviews: [approve('grace-l')] });
      expect(d.approved, explain(d)).toBe(false);
      expect(d.requirements.find((r) => r.rule === 'manager-approval')?.why).toMatch(/grace\.lin left at/);
    });

    it('a manager under an emergency offboarding hold does not count', () => {
      const s = scenario((head, base) => {
        mover(head);
        const record = {
          schema: 'jml/apply-record/v1',
          startedAt: '2026-11-19T10:00:00.000Z',
          finishedAt: '2026-11-19T10:00:01.000Z',
          changes: [],
          offboard: {
            person: 'grace.lin',
            at: '2026-11-19T10:00:00.000Z',
            reason: 'suspected account takeover',
            requestedBy: 'sam-s',
            operator: 'sam.sec',
            intent: true,
          },
        };
        writeRepoFile(
          base,
          '.jml/records/2026-11-19T10-00-00-000Z-offboard-grace.lin-none-ok.json',
          JSON.stringify(record),
        );
      });
      const d = decideScenario(s, { author: 'hana-h', reviews: [approve('grace-l')] });
      expect(d.approved, explain(d)).toBe(false);
      expect(d.requirements.find((r) => r.rule === 'manager-approval')?.why).toMatch(/offboarding hold/);
    });

    it('someone who has not started yet does not count', () => {
      const s = scenario((head, base) => {
        mover(head);
        for (const dir of [head, base])
          editYaml(dir, 'people/grace.lin.yaml', (v) => {
            (v.employment as Record<string, unknown>).start = '2027-01-04';
            v.roles = [{ role: 'employee', from: '2027-01-04' }];
          });
      });
      const d = decideScenario(s, { author: 'hana-h', reviews: [approve('grace-l')] });
      expect(d.approved, explain(d)).toBe(false);
      expect(d.requirements.find((r) => r.rule === 'manager-approval')?.why).toMatch(/starts on 2027-01-04/);
    });
  });

  describe('a mover keeps an exception only when the manager re-approves it', () => {
    const move = (retain: boolean) => (head: string, base: string) => {
      for (const dir of [head, base])
        editYaml(dir, 'exceptions/EXC-0001.yaml', (v) => {
          v.retainOnMove = true;
        });
      editYaml(head, 'people/alice.nguyen.yaml', (v) => {
        (v.roles as unknown[]).push({
          role: 'employee',
          from: '2026-12-01',
          ...(retain ? { retain: ['EXC-0001'] } : {}),
        });
      });
    };

    it('a move that retains an exception lists it and needs the manager of record', () => {
      const s = scenario(move(true));
      const d = decideScenario(s, { author: 'hana-h', reviews: [] });
      const r = d.requirements.find((q) => q.rule === 'retained-exception');
      expect(r?.status).toBe('missing');
      expect(r?.description).toMatch(
        /EXC-0001 \(bigquery-analysts\) is kept through the move only if it is re-approved/,
      );
      const ok = decideScenario(s, { author: 'hana-h', reviews: [approve('grace-l')] });
      expect(ok.approved, explain(ok)).toBe(true);
    });

    it('a move that does not retain it ends the exception on the move date', () => {
      const d = decideScenario(scenario(move(false)), { author: 'hana-h', reviews: [approve('grace-l')] });
      expect(d.approved, explain(d)).toBe(true);
      expect(d.effects).toContainEqual({
        person: 'alice.nguyen',
        what: 'bigquery-analysts',
        change: 'lost',
        when: 'from 2026-12-01 until 2027-01-10',
      });
    });

    it('retaining a high-risk exception needs its own approvers too', () => {
      const s = scenario((head, base) => {
        for (const dir of [head, base])
          editYaml(dir, 'exceptions/EXC-0001.yaml', (v) => {
            v.retainOnMove = true;
            v.entitlements = ['prod-db-admin'];
            v.approvers = ['grace.lin', 'omar.owner'];
          });
        editYaml(head, 'people/alice.nguyen.yaml', (v) => {
          (v.roles as unknown[]).push({ role: 'employee', from: '2026-12-01', retain: ['EXC-0001'] });
        });
      });
      const d = decideScenario(s, { author: 'hana-h', reviews: [approve('grace-l')] });
      expect(d.approved, explain(d)).toBe(false);
      expect(missing(d)).toEqual(['retained-exception-approver']);
      const ok = decideScenario(s, { author: 'hana-h', reviews: [approve('grace-l'), approve('omar-o')] });
      expect(ok.approved, explain(ok)).toBe(true);
    });
  });

  describe('code and workflow changes need the security team', () => {
    for (const file of [
      '.github/workflows/pull-request.yml',
      '.github/CODEOWNERS',
      'src/approvals/decide.ts',
      'package.json',
      'package-lock.json',
      'scripts/ci/restore-holds.sh',
      'bin/jml.js',
      '.gitattributes',
      '.gitmodules',
    ]) {
      it(`a change to ${file} approved by HR only is not approved`, () => {
        const s = scenario((head) => writeRepoFile(head, file, 'echo approved\n'));
        const d = decideScenario(s, { author: 'pat-p', reviews: [approve('hana-h')] });
        expect(d.approved, explain(d)).toBe(false);
        expect(missing(d)).toEqual(['code-change']);
      });
    }
  });

  describe('beyond the reported attacks', () => {
    it('a CODEOWNERS regenerated by jml codeowners is judged by the data it comes from; a hand edit is code', async () => {
      const s = scenario((head) =>
        editYaml(head, 'people/pat.peer.yaml', (v) => {
          v.department = 'Finance';
        }),
      );
      expect((await jml(s.head, 'codeowners')).code).toBe(0);
      const generated = decideScenario(s, { author: 'hana-h', reviews: [] });
      expect(generated.approved, explain(generated)).toBe(true);
      expect(generated.notes.some((n) => n.startsWith('.github/CODEOWNERS: generated'))).toBe(true);
      writeRepoFile(
        s.head,
        '.github/CODEOWNERS',
        `${readRepoFile(s.head, '.github/CODEOWNERS')}/people/ @pat-p\n`,
      );
      const edited = decideScenario(s, { author: 'hana-h', reviews: [] });
      expect(missing(edited)).toEqual(['code-change']);
    });

    it('a hard link from a person file to the README is refused', () => {
      const s = scenario((head) => {
        writeRepoFile(head, 'people/README.md', readRepoFile(head, 'people/alice.nguyen.yaml'));
        rmSync(path.join(head, 'people/alice.nguyen.yaml'));
        linkSync(path.join(head, 'people/README.md'), path.join(head, 'people/alice.nguyen.yaml'));
      });
      // Git cannot hold a hard link, so only a tampered working copy has one; it stays one.
      const d = decideScenario(s, {
        author: 'hana-h',
        reviews: [approve('grace-l'), approve('sam-s')],
        files: [
          { path: 'people/alice.nguyen.yaml', status: 'modified' },
          { path: 'people/README.md', status: 'modified' },
        ],
      });
      expect(d.approved, explain(d)).toBe(false);
      expect(d.requirements.some((r) => r.change === 'jml validate: hard-link')).toBe(true);
    });

    it('a git submodule inside people/ is refused', () => {
      const s = scenario((head) => {
        mkdirSync(path.join(head, 'people/vendor'), { recursive: true });
        writeFileSync(path.join(head, 'people/vendor/.git'), 'gitdir: ../../.git/modules/vendor\n');
        writeRepoFile(
          head,
          '.gitmodules',
          '[submodule "people/vendor"]\n\tpath = people/vendor\n\turl = https://example.com/x.git\n',
        );
      });
      const d = decideScenario(s, {
        author: 'pat-p',
        reviews: [approve('sam-s'), approve('hana-h')],
        files: [
          { path: 'people/vendor', status: 'added' },
          { path: '.gitmodules', status: 'added' },
        ],
      });
      expect(d.approved, explain(d)).toBe(false);
      expect(d.requirements.some((r) => r.change === 'jml validate: nested-repository')).toBe(true);
    });

    it('a .gitattributes change (which can hide a diff from reviewers) needs security', () => {
      const s = scenario((head) =>
        writeRepoFile(head, '.gitattributes', 'people/*.yaml linguist-generated=true\n'),
      );
      const d = decideScenario(s, { author: 'hana-h', reviews: [] });
      expect(missing(d)).toEqual(['code-change']);
    });

    it('a rename that turns a person file into an exception is a leaver and a new exception', () => {
      const s = scenario((head) => {
        removeFile(head, 'exceptions/EXC-0001.yaml');
        renameSync(path.join(head, 'people/pat.peer.yaml'), path.join(head, 'exceptions/EXC-0100.yaml'));
        writeYaml(head, 'exceptions/EXC-0100.yaml', {
          id: 'EXC-0100',
          person: 'alice.nguyen',
          entitlements: ['prod-db-admin'],
          justification: 'Renamed into place (OPS-1).',
          approvers: ['grace.lin', 'omar.owner'],
          from: '2026-11-20',
          expires: '2027-01-15',
        });
      });
      const d = decideScenario(s, {
        author: 'hana-h',
        reviews: [approve('grace-l')],
        files: [
          { path: 'exceptions/EXC-0100.yaml', status: 'renamed', previousPath: 'people/pat.peer.yaml' },
          { path: 'exceptions/EXC-0001.yaml', status: 'removed' },
        ],
      });
      expect(d.approved, explain(d)).toBe(false);
      expect(missing(d)).toContain('entitlement-owner-approval');
      expect(d.requirements.some((r) => r.rule === 'leaver-manager-or-hr')).toBe(true);
    });

    it('two person files differing only in case are refused', () => {
      const s = scenario((head) => {
        writeRepoFile(head, 'people/Alice.Nguyen.yaml', readRepoFile(head, 'people/alice.nguyen.yaml'));
      });
      const d = decideScenario(s, { author: 'hana-h', reviews: [approve('grace-l')] });
      expect(d.approved, explain(d)).toBe(false);
      expect(d.requirements.some((r) => r.change === 'jml validate: case-collision')).toBe(true);
    });

    it('a person re-added under a new id with the same email is a leaver and a joiner, not a quiet edit', () => {
      const s = scenario((head) => {
        const v = readRepoFile(head, 'people/pat.peer.yaml').replace('id: pat.peer', 'id: pat.p');
        removeFile(head, 'people/pat.peer.yaml');
        writeRepoFile(head, 'people/pat.p.yaml', v);
      });
      const d = decideScenario(s, { author: 'hana-h', reviews: [] });
      expect(d.approved, explain(d)).toBe(false);
      expect(missing(d)).toContain('manager-approval');
    });

    it('a change merged to the base after the pull request branched is not credited to it', () => {
      const s = scenario((_head, base) => {
        writeYaml(base, 'people/jo.joiner.yaml', {
          id: 'jo.joiner',
          name: 'Jo Joiner',
          email: 'jo.joiner@example.com',
          manager: 'grace.lin',
          department: 'Engineering',
          employment: { start: '2026-12-01' },
          roles: [{ role: 'engineer', from: '2026-12-01' }],
        });
      });
      // The pull request changed nothing GitHub would list: the base simply moved on.
      const d = decideScenario(s, { author: 'hana-h', reviews: [], files: [] });
      expect(d.approved, explain(d)).toBe(true);
      expect(d.effects).toEqual([]);
    });

    it('a role template change is explained for everyone holding it, through includes', () => {
      const s = scenario((head) =>
        editYaml(head, 'roles/employee.yaml', (v) => {
          (v.entitlements as string[]).push('aws-dev-readonly');
        }),
      );
      const d = decideScenario(s, { author: 'pat-p', reviews: [approve('hana-h'), approve('sam-s')] });
      expect(d.approved, explain(d)).toBe(true);
      expect(d.effects.filter((e) => e.what === 'aws-dev-readonly').length).toBeGreaterThan(3);
    });

    it('an access change that no rule explains is refused (the net under the rules)', () => {
      const s = scenario(() => {});
      const base = indexCheckout(s.base);
      const head = indexCheckout(s.head);
      // A loader quirk nobody foresaw: the engineer role expands to more on the head, with no
      // value of any file differing.
      const expand = head.expandRole;
      const sneaky = {
        ...head,
        expandRole: (id: string) =>
          id === 'engineer' ? new Map([...expand(id), ['prod-db-admin', ['engineer']]]) : expand(id),
      };
      const d = decide({
        base,
        head: sneaky,
        files: [],
        author: 'pat-p',
        headSha: HEAD_SHA,
        reviews: [],
        now: NOW,
      });
      expect(d.approved, explain(d)).toBe(false);
      expect(missing(d)).toContain('unexplained-access-change');
      expect(d.effects.some((e) => e.person === 'alice.nguyen' && e.what === 'prod-db-admin')).toBe(true);
    });

    it('a self-made role grants nothing without its owner and security', () => {
      const s = scenario((head) => {
        writeYaml(head, 'roles/shadow.yaml', {
          id: 'shadow',
          title: 'Shadow',
          owner: 'pat.peer',
          entitlements: ['prod-db-admin'],
        });
        editYaml(head, 'people/alice.nguyen.yaml', (v) => {
          (v.roles as unknown[]).push({ role: 'shadow', from: '2026-11-21' });
        });
      });
      const d = decideScenario(s, { author: 'hana-h', reviews: [approve('grace-l')] });
      expect(d.approved, explain(d)).toBe(false);
      expect(missing(d)).toEqual(expect.arrayContaining(['role-owner-approval', 'security-team']));
    });
  });
});
