import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parsePlainFile, parseYaml } from '../../src/load/parse-yaml.js';

/** Reads `text` as the careful path does: YAML 1.2, core schema. Undefined when it is not valid YAML. */
function careful(text: string): unknown {
  try {
    return parse(text, { version: '1.2', schema: 'core', uniqueKeys: true, strict: true });
  } catch {
    return undefined;
  }
}

/** Scalars that YAML tools read in surprising ways, written unquoted on purpose. */
const AWKWARD = [
  '0o17',
  '017',
  '0x1F',
  '1_000',
  '1e3',
  '+12',
  '.5',
  '.inf',
  '-.Inf',
  '.NaN',
  '~',
  'null',
  'Null',
  'NULL',
  'true',
  'True',
  'FALSE',
  'yes',
  'No',
  'on',
  'OFF',
  'y',
  'n',
  '2026-01-01',
  '2026-01-01T10:00:00Z',
  '12:30',
  '12:30:45',
  '1:2',
  "'quoted'",
  '"double"',
  'a # comment',
  'a#b',
  'a: b',
  'a:b',
  '[x]',
  '{x: 1}',
  '- a',
  '>',
  '|',
  '@at',
  '`tick`',
  '%pct',
  'x\\ny',
  'é',
  '日本',
  '',
  ' ',
  '-',
  '--',
  '...',
  '? q',
  'a, b',
  '=',
  '<<',
];

const scalar = fc.oneof(
  fc.constantFrom(...AWKWARD),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
);

describe('the quick reader (js-yaml) agrees with the careful reader (yaml)', () => {
  it('on person-like files with any scalar written plainly', () => {
    let taken = 0;
    fc.assert(
      fc.property(fc.array(scalar, { minLength: 3, maxLength: 3 }), fc.boolean(), ([a, b, c], flow) => {
        const text = [
          'id: alice.nguyen',
          `name: ${a}`,
          `department: ${b}`,
          'employment:',
          `  start: ${c}`,
          'roles:',
          flow ? `  - { role: ${a}, from: 2026-01-01 }` : `  - role: ${a}\n    from: 2026-01-01`,
          '',
        ].join('\n');
        const quick = parsePlainFile(text);
        if (quick === undefined) return; // the careful path takes it
        taken++;
        expect(quick).toEqual(careful(text));
      }),
      { numRuns: 3000 },
    );
    // The comparison must really run: about one generated file in ten is plain enough for the
    // quick path (about 300 of 3,000, give or take 16); 150 is far below any honest run.
    expect(taken).toBeGreaterThan(150);
  });

  it('on any value the yaml library writes', () => {
    let taken = 0;
    const value = fc.dictionary(
      fc.string({ minLength: 1, maxLength: 8 }),
      fc.oneof(
        scalar,
        fc.boolean(),
        fc.array(scalar, { maxLength: 3 }),
        fc.dictionary(fc.string({ maxLength: 5 }), scalar),
      ),
      { minKeys: 1 },
    );
    fc.assert(
      fc.property(value, (v) => {
        const text = stringify(v);
        const quick = parsePlainFile(text);
        if (quick === undefined) return;
        taken++;
        expect(quick).toEqual(careful(text));
      }),
      { numRuns: 3000 },
    );
    // yaml quotes much of what it writes, and most quoted files go the careful way: about 4% stay.
    expect(taken).toBeGreaterThan(50);
  });

  it('never takes a file the careful reader would refuse', () => {
    const refused = [
      'a: 1\na: 2\n', // duplicate key
      'a: &x 1\nb: *x\n', // alias
      'a: !!str 1\n', // tag
      '__proto__: {}\n', // prototype key
      'flag: yes\n', // YAML 1.1 boolean
      'a:\n\t- b\n', // tab indentation
      '? [a]\n: b\n', // complex key
      'a: 1\n---\nb: 2\n', // two documents
      '', // empty
      'a: [unclosed\n',
    ];
    for (const text of refused) {
      expect(parsePlainFile(text), JSON.stringify(text)).toBeUndefined();
      const r = parseYaml('people/x.yaml', new TextEncoder().encode(text));
      expect(r.ok, JSON.stringify(text)).toBe(false);
    }
  });

  it('takes the ordinary files of the example organisation', () => {
    const text =
      'id: a.b\nname: A B\nemail: a.b@example.com\nemployment:\n  start: 2026-01-05\n  highRisk: false\nroles:\n  - { role: sre, from: 2026-01-05 }\n';
    expect(parsePlainFile(text)).toEqual(careful(text));
  });
});
