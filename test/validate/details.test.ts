/**
 * Details the corpus table cannot express: what must NOT be reported, every place a cycle is
 * reported, the wording of hints, and the YAML parser surviving a hostile file.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseYaml } from '../../src/load/parse-yaml.js';
import { createClock, parseAt } from '../../src/model/time.js';
import { resolvePerson } from '../../src/resolve/resolve.js';
import { checkRepository } from '../../src/validate/validate.js';

const BASE = fileURLToPath(new URL('../fixtures/validate/base/', import.meta.url));
const AT = Date.parse('2026-11-25T12:00:00Z');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A copy of the base organisation with some files replaced. */
function orgWith(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'jml-details-'));
  dirs.push(root);
  cpSync(BASE, root, { recursive: true });
  for (const [rel, text] of Object.entries(files)) writeFileSync(path.join(root, rel), text);
  return root;
}

function baseFile(rel: string): string {
  return readFileSync(path.join(BASE, rel), 'utf8');
}

const bytes = (text: string) => new TextEncoder().encode(text);

describe('separation of duties across a move', () => {
  const alice = baseFile('people/alice.nguyen.yaml').replace(
    '    from: 2023-09-05\n',
    '    from: 2023-09-05\n  - role: executive\n    from: 2027-01-04\n',
  );

  it('is not reported when the exception lapses at the move (retainOnMove: false)', () => {
    const result = checkRepository(orgWith({ 'people/alice.nguyen.yaml': alice }), AT);
    expect(result.diagnostics.filter((d) => d.rule === 'sod-conflict')).toEqual([]);
  });

  it('is reported once, at the move, when the move retains the exception (retainOnMove and retain)', () => {
    const exc = baseFile('exceptions/EXC-0001.yaml').replace('retainOnMove: false', 'retainOnMove: true');
    const retained = `${alice}    retain:\n      - EXC-0001\n`;
    const result = checkRepository(
      orgWith({ 'people/alice.nguyen.yaml': retained, 'exceptions/EXC-0001.yaml': exc }),
      AT,
    );
    const sod = result.diagnostics.filter((d) => d.rule === 'sod-conflict');
    expect(sod).toHaveLength(1);
    expect(sod[0]).toMatchObject({ file: 'people/alice.nguyen.yaml', line: 14, column: 5 });
    expect(sod[0]!.message).toContain('from 2027-01-04');
  });
  it('is not reported when the exception is retainOnMove but the move does not retain it, which warns that it ends', () => {
    const exc = baseFile('exceptions/EXC-0001.yaml').replace('retainOnMove: false', 'retainOnMove: true');
    const result = checkRepository(
      orgWith({ 'people/alice.nguyen.yaml': alice, 'exceptions/EXC-0001.yaml': exc }),
      AT,
    );
    expect(result.diagnostics.filter((d) => d.rule === 'sod-conflict')).toEqual([]);
    expect(result.diagnostics).toContainEqual(
      expect.objectContaining({
        rule: 'exception-ends-on-move',
        severity: 'warning',
        file: 'people/alice.nguyen.yaml',
        line: 14,
        message: expect.stringContaining(
          'EXC-0001 (prod-db-admin) ends on 2027-01-04 with the move to executive',
        ),
      }),
    );
  });
});

describe('cycles', () => {
  it('reports a manager cycle on the manager line of every person in it', () => {
    const carol = baseFile('people/carol.ceo.yaml').replace(
      'department: Executive',
      'manager: bob.smith\ndepartment: Executive',
    );
    const result = checkRepository(orgWith({ 'people/carol.ceo.yaml': carol }), AT);
    const cycle = result.diagnostics.filter((d) => d.rule === 'manager-cycle');
    expect(cycle.map((d) => `${d.file}:${d.line}`)).toEqual([
      'people/bob.smith.yaml:6',
      'people/carol.ceo.yaml:6',
      'people/dana.cto.yaml:6',
    ]);
    expect(cycle[1]!.message).toBe(
      'Managers go round in a circle: carol.ceo -> bob.smith -> dana.cto -> carol.ceo.',
    );
  });

  it('does not report a person whose chain only leads into a cycle', () => {
    const carol = baseFile('people/carol.ceo.yaml').replace(
      'department: Executive',
      'manager: bob.smith\ndepartment: Executive',
    );
    const result = checkRepository(orgWith({ 'people/carol.ceo.yaml': carol }), AT);
    expect(result.diagnostics.filter((d) => d.file === 'people/alice.nguyen.yaml')).toEqual([]);
  });

  it('reports a role include cycle on both roles', () => {
    const employee = baseFile('roles/employee.yaml').replace(
      'owner: dana.cto\n',
      'owner: dana.cto\nincludes:\n  - engineer\n',
    );
    const result = checkRepository(orgWith({ 'roles/employee.yaml': employee }), AT);
    const cycle = result.diagnostics.filter((d) => d.rule === 'role-include-cycle');
    expect(cycle.map((d) => `${d.file}:${d.line}`)).toEqual([
      'roles/employee.yaml:5',
      'roles/engineer.yaml:5',
    ]);
  });
});

describe('hints', () => {
  it('quotes a number exactly as written, keeping its leading zeros', () => {
    const bob = baseFile('people/bob.smith.yaml').replace('hrId: HR-0003', 'hrId: 0012345');
    const result = checkRepository(orgWith({ 'people/bob.smith.yaml': bob }), AT);
    const d = result.diagnostics.find((x) => x.rule === 'wrong-type');
    expect(d?.hint).toContain('"0012345"');
  });

  it('points a missing nested field at the key of its block', () => {
    const bob = baseFile('people/bob.smith.yaml').replace('  start: 2022-06-01\n', '');
    const result = checkRepository(orgWith({ 'people/bob.smith.yaml': bob }), AT);
    expect(result.diagnostics).toContainEqual(
      expect.objectContaining({ rule: 'missing-field', line: 9, column: 1 }),
    );
  });
});

describe('follow-on errors', () => {
  it('does not warn that entitlements are unreachable when a role file failed to load', () => {
    const result = checkRepository(orgWith({ 'roles/engineer.yaml': 'id: engineer\ntitle: [\n' }), AT);
    expect(result.diagnostics.map((d) => d.rule)).not.toContain('entitlement-unreachable');
    expect(result.diagnostics.map((d) => d.rule)).not.toContain('unknown-role');
  });
});

describe('the YAML reader', () => {
  const normal = baseFile('people/bob.smith.yaml');

  it('reads a normal file the same after refusing deeply nested ones', () => {
    const before = parseYaml('a.yaml', bytes(normal));
    for (const hostile of ['['.repeat(100_000), `a: ${'['.repeat(5000)}${']'.repeat(5000)}`]) {
      const r = parseYaml('b.yaml', bytes(hostile));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.diagnostics.map((d) => d.rule)).toEqual(['yaml-too-deep']);
    }
    const after = parseYaml('a.yaml', bytes(normal));
    expect(after.ok && before.ok && after.value).toEqual(before.ok && before.value);
  });

  it('finds duplicate keys among many keys quickly', () => {
    const keys = Array.from({ length: 50_000 }, (_, i) => `k${i}: ${i}`);
    keys.push('k7: again');
    const started = performance.now();
    const r = parseYaml('big.yaml', bytes(keys.join('\n')));
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.diagnostics).toEqual([expect.objectContaining({ rule: 'duplicate-key', line: 50_001 })]);
  });

  it('reports each syntax error line once', () => {
    const r = parseYaml('x.yaml', bytes('id: a\nname: Bob: Smith\ntitle: x\n'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.diagnostics.map((d) => `${d.rule}@${d.line}`)).toEqual(['yaml-syntax@2']);
  });
});

const rulesOf = (root: string, rule: string) =>
  checkRepository(root, AT).diagnostics.filter((d) => d.rule === rule);

describe('emails', () => {
  const bob = baseFile('people/bob.smith.yaml');
  const jml = baseFile('policy/jml.yaml');

  it('accepts an email whose domain is written in another case', () => {
    const root = orgWith({
      'people/bob.smith.yaml': bob.replace('bob.smith@example.com', 'Bob.Smith@EXAMPLE.COM'),
    });
    expect(checkRepository(root, AT).diagnostics).toEqual([]);
  });

  it('accepts an email at any of organisation.emailDomains, and refuses the main domain when the list leaves it out', () => {
    const withDomains = (domains: string) =>
      jml.replace('  domain: example.com\n', `  domain: example.com\n  emailDomains: [${domains}]\n`);
    const org = orgWith({
      'policy/jml.yaml': withDomains('example.com, example.org'),
      'people/bob.smith.yaml': bob.replace('bob.smith@example.com', 'bob.smith@example.org'),
    });
    expect(checkRepository(org, AT).diagnostics).toEqual([]);
    const only = rulesOf(orgWith({ 'policy/jml.yaml': withDomains('example.org') }), 'email-outside-domain');
    expect(only).toHaveLength(6); // everyone in the base organisation is at example.com
  });

  it('compares break-glass accounts case-insensitively in both places', () => {
    const root = orgWith({
      'policy/jml.yaml': `${jml}safety:\n  protectedAccounts:\n    - Bob.Smith@Example.com\n`,
    });
    expect(rulesOf(root, 'email-protected')).toEqual([
      expect.objectContaining({ file: 'people/bob.smith.yaml', line: 3 }),
    ]);
  });

  it('reports a plus-alias on the plus address only, not on the mailbox it aliases', () => {
    const root = orgWith({
      'people/bob.admin.yaml': bob
        .replace('id: bob.smith', 'id: bob.admin')
        .replace('bob.smith@example.com', 'bob.smith+admin@example.com')
        .replace('github: bob-smith\n', '')
        .replace('hrId: HR-0003\n', ''),
    });
    expect(rulesOf(root, 'email-plus-alias').map((d) => `${d.file}:${d.line}`)).toEqual([
      'people/bob.admin.yaml:3',
    ]);
  });
});

describe('unsafe characters', () => {
  const bob = baseFile('people/bob.smith.yaml');
  const withName = (escaped: string) =>
    orgWith({ 'people/bob.smith.yaml': bob.replace('name: Bob Smith', `name: "Bob${escaped}Smith"`) });

  // Every character the rule promises to refuse, written as a YAML escape so this file shows it.
  const refused: [string, string][] = [
    ...['202A', '202B', '202C', '202D', '202E', '2066', '2067', '2068', '2069', '200E', '200F', '061C'].map(
      (cp): [string, string] => [`the bidi control U+${cp}`, `\\u${cp}`],
    ),
    ...['200B', '200C', '200D', '2060', 'FEFF'].map((cp): [string, string] => [
      `the zero-width character U+${cp}`,
      `\\u${cp}`,
    ]),
    ...['0000', '0001', '0008', '000D', '001B', '001F', '007F', '0080', '0085', '009F'].map(
      (cp): [string, string] => [`the control character U+${cp}`, `\\u${cp}`],
    ),
    ['a line break in a one-line field', '\\n'],
    ['a tab in a one-line field', '\\t'],
  ];
  it.each(refused)('refuses %s in a name, at the name line', (_what, escaped) => {
    const found = rulesOf(withName(escaped), 'unsafe-character');
    expect(found).toEqual([
      expect.objectContaining({ file: 'people/bob.smith.yaml', line: 2, severity: 'error' }),
    ]);
  });

  it('never repeats the character itself in the message, so the message cannot be reordered', () => {
    const [d] = rulesOf(withName('\\u202E'), 'unsafe-character');
    expect(d?.message).toContain('\\u{202E}');
    expect(d?.message).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
  });

  it('allows line breaks and tabs in a justification, a description and a rationale', () => {
    const exc = baseFile('exceptions/EXC-0001.yaml').replace(
      'justification: Payments migration on-call rotation (OPS-1234).',
      'justification: |\n  Payments migration on-call rotation.\n  Ticket:\tOPS-1234\n',
    );
    const role = `${baseFile('roles/employee.yaml')}description: |\n  Base access.\n  Everyone:\tgets it.\n`;
    const sod = baseFile('policy/sod.yaml')
      .replace('  rationale: Someone', '  rationale: "Two lines:\\n\\tSomeone')
      .replace('trace of it.\n', 'trace of it."\n');
    const root = orgWith({
      'exceptions/EXC-0001.yaml': exc,
      'roles/employee.yaml': role,
      'policy/sod.yaml': sod,
    });
    expect(checkRepository(root, AT).diagnostics).toEqual([]);
  });

  it('accepts names in any script, with accents and apostrophes', () => {
    const root = orgWith({
      'people/bob.smith.yaml': bob.replace('name: Bob Smith', "name: Zoë O'Brien-Ünal 陳美玲"),
    });
    expect(checkRepository(root, AT).diagnostics).toEqual([]);
  });
});

describe('instants in lower case', () => {
  it('reads a leaver end 2027-03-31t17:00:00z as the same instant as 2027-03-31T17:00:00Z', () => {
    const sam = baseFile('people/sam.sec.yaml');
    const endOf = (end: string) => {
      const result = checkRepository(
        orgWith({ 'people/sam.sec.yaml': sam.replace('end: 2027-03-31T17:00:00-04:00', `end: ${end}`) }),
        AT,
      );
      expect(result.diagnostics).toEqual([]);
      const person = result.index!.people.get('sam.sec')!;
      const endMs = resolvePerson(result.index!, person, AT).endMs;
      const justAfter = resolvePerson(result.index!, person, Date.parse('2027-03-31T17:00:00Z')).status;
      const justBefore = resolvePerson(result.index!, person, Date.parse('2027-03-31T16:59:59Z')).status;
      return { endMs, justAfter, justBefore };
    };
    const lower = endOf('2027-03-31t17:00:00z');
    expect(lower).toEqual(endOf('2027-03-31T17:00:00Z'));
    expect(lower).toEqual({
      endMs: Date.parse('2027-03-31T17:00:00Z'),
      justAfter: 'terminated',
      justBefore: 'active',
    });
  });

  it('takes --at 2027-03-31t17:00:00z, and calls a lower-case time without an offset what it is', () => {
    expect(parseAt('2027-03-31t17:00:00z', createClock('UTC'))).toBe(Date.parse('2027-03-31T17:00:00Z'));
    const sam = baseFile('people/sam.sec.yaml');
    const result = checkRepository(
      orgWith({
        'people/sam.sec.yaml': sam.replace('end: 2027-03-31T17:00:00-04:00', 'end: 2027-03-31t17:00:00'),
      }),
      AT,
    );
    expect(result.diagnostics.map((d) => d.rule)).toEqual(['instant-without-offset']);
  });

  it('hints the offset the organisation zone has on that date, daylight saving included', () => {
    const sam = baseFile('people/sam.sec.yaml');
    const hint = (end: string) =>
      checkRepository(
        orgWith({ 'people/sam.sec.yaml': sam.replace('end: 2027-03-31T17:00:00-04:00', `end: ${end}`) }),
        AT,
      ).diagnostics.find((d) => d.rule === 'instant-without-offset')?.hint;
    const zone = baseFile('policy/jml.yaml').match(/^timezone: (.+)$/m)?.[1];
    expect(zone).toBe('America/New_York');
    expect(hint('2027-03-31T17:00:00')).toContain('2027-03-31T17:00:00-04:00 (America/New_York');
    expect(hint('2027-01-29T17:00:00')).toContain('2027-01-29T17:00:00-05:00 (America/New_York');
  });
});

describe('retain across several moves', () => {
  const alice = baseFile('people/alice.nguyen.yaml');
  const exc = baseFile('exceptions/EXC-0001.yaml')
    .replace('retainOnMove: false', 'retainOnMove: true')
    .replace('expires: 2027-01-31', 'expires: 2027-02-10');
  const moves = (entries: string) =>
    orgWith({ 'people/alice.nguyen.yaml': alice + entries, 'exceptions/EXC-0001.yaml': exc });

  it('warns at the second move when only the first retains the exception', () => {
    const root = moves(
      '  - role: employee\n    from: 2026-12-01\n    retain:\n      - EXC-0001\n  - role: engineer\n    from: 2027-01-04\n',
    );
    const d = checkRepository(root, AT).diagnostics;
    expect(d.map((x) => `${x.rule}@${x.line}`)).toEqual(['exception-ends-on-move@18']);
  });

  it('warns that a retain has no effect when an earlier move already ended the exception', () => {
    const root = moves(
      '  - role: employee\n    from: 2026-12-01\n  - role: engineer\n    from: 2027-01-04\n    retain:\n      - EXC-0001\n',
    );
    const d = checkRepository(root, AT).diagnostics;
    expect(d.map((x) => `${x.rule}@${x.line}`)).toEqual(['exception-ends-on-move@14', 'retain-no-effect@19']);
    expect(d[1]!.message).toContain('already ended with the move to employee on 2026-12-01');
  });

  it('says nothing about an exception that starts on the move date: it belongs to the new role', () => {
    const root = moves('  - role: employee\n    from: 2026-11-16\n');
    expect(checkRepository(root, AT).diagnostics).toEqual([]);
  });

  it('says nothing about an entry that keeps the same role: it is not a move', () => {
    const root = moves('  - role: engineer\n    from: 2026-12-01\n');
    expect(checkRepository(root, AT).diagnostics).toEqual([]);
  });

  it('does not call an exception unknown when its file failed to load', () => {
    const root = orgWith({
      'people/alice.nguyen.yaml': `${alice}  - role: employee\n    from: 2027-03-01\n    retain:\n      - EXC-0002\n`,
      'exceptions/EXC-0002.yaml': 'id: EXC-0002\nperson: [\n',
    });
    expect(checkRepository(root, AT).diagnostics.map((d) => d.rule)).toEqual(['yaml-syntax']);
  });
});
