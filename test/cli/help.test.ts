/**
 * Every command's --help ends with examples of its own, and each example uses only options the
 * command has (an example that names a removed flag is caught here, not by a user).
 */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { EXAMPLES } from '../../src/cli/examples.js';
import { buildProgram } from '../../src/cli/main.js';

function commands(cmd: Command, prefix: string[] = []): [string, Command][] {
  return cmd.commands.flatMap((c) => {
    const path = [...prefix, c.name()];
    return [[path.join(' '), c] as [string, Command], ...commands(c, path)];
  });
}

const program = buildProgram({ out: () => {}, err: () => {}, isTty: false }, () => {});
const all = commands(program);

describe('--help examples', () => {
  it('every command has at least one example', () => {
    expect(all.filter(([path]) => !EXAMPLES[path]?.length).map(([path]) => path)).toEqual([]);
  });

  it('no example is for a command that does not exist', () => {
    const known = new Set(all.map(([path]) => path));
    expect(Object.keys(EXAMPLES).filter((k) => !known.has(k))).toEqual([]);
  });

  it("each example starts with its command and names only that command's options", () => {
    const wrong: string[] = [];
    for (const [path, cmd] of all) {
      const longs = new Set(cmd.options.map((o) => o.long).filter(Boolean));
      for (const [example] of EXAMPLES[path] ?? []) {
        if (
          !example.startsWith(`jml ${path}`) &&
          !(cmd.commands.length && example.startsWith(`jml ${path} `))
        ) {
          // A parent's example may show a subcommand.
          if (!example.startsWith(`jml ${path.split(' ')[0]}`)) wrong.push(`${path}: ${example}`);
          continue;
        }
        const sub = cmd.commands.find((c) => example.startsWith(`jml ${path} ${c.name()}`));
        const flags = sub ? new Set(sub.options.map((o) => o.long)) : longs;
        for (const flag of example.match(/(?<=\s)--[a-z-]+/g) ?? [])
          if (!flags.has(flag)) wrong.push(`${path}: ${example} (${flag})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('shows them at the end of --help', async () => {
    let out = '';
    const p = buildProgram({ out: (t) => (out += t), err: () => {}, isTty: false }, () => {});
    await p.parseAsync(['node', 'jml', 'plan', '--help']).catch(() => {});
    expect(out).toMatch(/Examples:\n {2}\$ jml plan\n/);
  });
});
