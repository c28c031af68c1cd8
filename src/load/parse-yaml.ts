/**
 * Reading one YAML file defensively. Policy files arrive in pull requests from many hands, so
 * everything that could surprise a reader (or a parser) is refused here with a position and a
 * hint: bad bytes, tabs, duplicate keys, aliases (the "billion laughs" bomb), prototype keys,
 * and YAML 1.1 booleans that mean different things to different tools.
 */
import jsyaml from 'js-yaml';
import { isScalar, Lexer, LineCounter, Parser, parseDocument, Scalar, visit } from 'yaml';
import type { Diagnostic } from '../model/diagnostic.js';
import type { SourceFile } from './source.js';

/** Largest file the loader reads. A policy file is a few kilobytes; a megabyte is an accident or an attack. */
export const MAX_FILE_BYTES = 1024 * 1024;

/**
 * Deepest nesting the loader accepts, counted as the YAML parser's stack. Real policy files stay
 * under 8; the YAML composer recurses per level and a stack overflow inside it corrupts the
 * library's state for every later file, so a hostile `[[[[...` must be refused before composing.
 */
export const MAX_NESTING = 40;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Plain scalars YAML 1.1 reads as booleans but YAML 1.2 reads as strings: ambiguous, so refused. */
export const YAML11_BOOLEANS = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;

export type ParseResult =
  | { ok: true; src: SourceFile; value: unknown }
  | { ok: false; diagnostics: Diagnostic[] };

function diag(
  file: string,
  line: number,
  column: number,
  rule: string,
  message: string,
  hint: string,
): Diagnostic {
  return { severity: 'error', rule, file, line, column, message, hint };
}

/** The diagnostic for a file over {@link MAX_FILE_BYTES}; the loader reports it before reading. */
export function fileTooLarge(file: string, size: number): Diagnostic {
  return diag(
    file,
    1,
    1,
    'file-too-large',
    `This file is ${Math.round(size / 1024)} KiB; files here may be at most ${MAX_FILE_BYTES / 1024} KiB.`,
    'Policy files are small. Split it, or check that nothing was pasted into it by mistake.',
  );
}

/** Decodes UTF-8 strictly; on a bad byte, reports the line it is on. */
function decodeUtf8(file: string, bytes: Uint8Array): string | Diagnostic {
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    return text;
  } catch {
    const loose = new TextDecoder('utf-8').decode(bytes);
    const bad = loose.indexOf('\uFFFD');
    const before = loose.slice(0, Math.max(bad, 0));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    return diag(
      file,
      line,
      column,
      'not-utf8',
      'This file contains bytes that are not valid UTF-8 text.',
      'Save the file as UTF-8 (most editors: "Save with encoding" > UTF-8) and check the characters on this line.',
    );
  }
}

/**
 * Parses `bytes` as a single YAML document. Returns the JS value only when the file is clean:
 * a file with any problem here is not handed to the schema, so one mistake gives one error.
 */
export function parseYaml(file: string, bytes: Uint8Array): ParseResult {
  if (bytes.byteLength > MAX_FILE_BYTES) {
    return { ok: false, diagnostics: [fileTooLarge(file, bytes.byteLength)] };
  }
  const text = decodeUtf8(file, bytes);
  if (typeof text !== 'string') return { ok: false, diagnostics: [text] };
  const quick = parsePlainFile(text);
  if (quick !== undefined) return { ok: true, src: { path: file, text }, value: quick };

  const diagnostics: Diagnostic[] = [];
  const lines = TAB_INDENT.test(text) ? text.split('\n') : [];
  lines.forEach((l, i) => {
    const tab = l.indexOf('\t');
    if (tab >= 0 && /^[ \t]*$/.test(l.slice(0, tab))) {
      diagnostics.push(
        diag(
          file,
          i + 1,
          tab + 1,
          'tab-indentation',
          'This line is indented with a tab. YAML needs spaces.',
          'Replace the tab with spaces (two per level); set your editor to insert spaces for YAML.',
        ),
      );
    }
  });
  if (diagnostics.length > 0) return { ok: false, diagnostics };

  const deep = mayNestBeyond(text, MAX_NESTING) ? nestingBeyond(text, MAX_NESTING) : undefined;
  if (deep !== undefined) {
    const before = text.slice(0, deep);
    const line = before.split('\n').length;
    return {
      ok: false,
      diagnostics: [
        diag(
          file,
          line,
          before.length - before.lastIndexOf('\n'),
          'yaml-too-deep',
          `Values are nested more than ${MAX_NESTING} levels deep here; policy files need only a few.`,
          'Check the brackets and indentation on this line: a list or block was probably opened and never closed.',
        ),
      ],
    };
  }

  const lineCounter = new LineCounter();
  // uniqueKeys is checked below in one pass: the library's own check is quadratic in the keys.
  const doc = parseDocument(text, {
    lineCounter,
    uniqueKeys: false,
    prettyErrors: true,
    version: '1.2',
    schema: 'core',
    strict: true,
  });
  // One error per line: after a syntax error the parser often reports the same place again.
  const errorLines = new Set<number>();
  for (const e of doc.errors) {
    const pos = e.linePos?.[0] ?? { line: 1, col: 1 };
    if (errorLines.has(pos.line)) continue;
    errorLines.add(pos.line);
    diagnostics.push(
      diag(
        file,
        pos.line,
        pos.col,
        'yaml-syntax',
        `The file is not valid YAML: ${e.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}.`,
        'Check indentation (spaces, aligned under the parent), colons after keys, and quotes around text containing ": " or "#".',
      ),
    );
  }
  if (diagnostics.length > 0) return { ok: false, diagnostics };

  const report = (offset: number | undefined, rule: string, message: string, hint: string) => {
    const p = lineCounter.linePos(offset ?? 0);
    diagnostics.push(diag(file, p.line, p.col, rule, message, hint));
  };
  const checkTag = (node: { tag?: string; range?: readonly number[] | null; source?: unknown }) => {
    if (!node.tag) return;
    const source = typeof node.source === 'string' ? node.source : undefined;
    report(
      node.range?.[0],
      'yaml-tag',
      `The tag ${node.tag.replace(/^tag:yaml\.org,2002:/, '!!')} changes how this value is read. Tags are not allowed in policy files.`,
      source === undefined
        ? 'Remove the tag and write the value plainly.'
        : `Remove the tag; to keep ${source} as text, put it in quotes: "${source}".`,
    );
  };
  visit(doc, {
    Seq(_, seq) {
      checkTag(seq);
    },
    Map(_, map) {
      checkTag(map);
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        if (!seen.has(key)) {
          seen.add(key);
          continue;
        }
        report(
          pair.key.range?.[0],
          'duplicate-key',
          `The key "${key}" appears twice in the same block; YAML keeps only one and the other would be lost silently.`,
          'Keep one of the two entries and merge their values.',
        );
      }
    },
    Alias(_, node) {
      report(
        node.range?.[0],
        'yaml-alias',
        `The alias *${node.source} repeats another part of the file. Aliases are not allowed in policy files.`,
        'Write the value out in full: a reviewer must see every grant where it applies.',
      );
    },
    Pair(_, pair) {
      if (!isScalar(pair.key)) {
        report(
          (pair.key as { range?: [number] } | null)?.range?.[0],
          'yaml-complex-key',
          'Keys must be plain names.',
          'Use a simple word as the key.',
        );
        return;
      }
      const key = String(pair.key.value);
      if (FORBIDDEN_KEYS.has(key)) {
        report(
          pair.key.range?.[0],
          'forbidden-key',
          `The key "${key}" is not allowed: it could change how the engine itself behaves.`,
          'Remove this key; no policy file uses it.',
        );
      }
    },
    Scalar(key, node) {
      checkTag(node);
      if (key === 'key') return;
      if (node.type === Scalar.PLAIN && typeof node.value === 'string' && YAML11_BOOLEANS.test(node.value)) {
        report(
          node.range?.[0],
          'ambiguous-boolean',
          `"${node.value}" means true/false to some YAML tools and text to others.`,
          `Write true or false for a yes/no field, or put it in quotes ("${node.value}") if you mean the text.`,
        );
      }
    },
  });
  if (diagnostics.length > 0) return { ok: false, diagnostics };

  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    return {
      ok: false,
      diagnostics: [diag(file, 1, 1, 'empty-file', 'This file is empty.', 'Fill it in, or delete the file.')],
    };
  }
  const value = doc.toJS({ maxAliasCount: 0 });
  return { ok: true, src: { path: file, text, doc, lineCounter }, value };
}

/** A tab anywhere in a line's leading whitespace. */
const TAB_INDENT = /^[ ]*\t/m;

/**
 * A cheap upper bound on nesting, so the exact check (a second pass of the YAML lexer and
 * parser) runs only for files that could possibly be too deep. Every level of nesting needs
 * either a flow bracket or a further column on some line, so the depth is at most the number of
 * brackets plus the widest line-start (indentation and "- " / "? " markers).
 */
function mayNestBeyond(text: string, limit: number): boolean {
  let brackets = 0;
  let widest = 0;
  let lineStart = true;
  let column = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 10) {
      lineStart = true;
      column = 0;
      continue;
    }
    if (ch === 91 || ch === 123) brackets++; // [ {
    if (lineStart) {
      // spaces, and "- " / "? " / ": " block indicators, open levels at the start of a line
      if (ch === 32 || ((ch === 45 || ch === 63 || ch === 58) && text.charCodeAt(i + 1) === 32)) {
        column++;
        if (column > widest) widest = column;
      } else lineStart = false;
    }
  }
  return brackets + widest > limit;
}

/**
 * The offset where the YAML parser's stack first grows beyond `limit`, or undefined. Uses the
 * library's lexer and CST parser, which keep their own stacks and do not recurse per level.
 */
function nestingBeyond(text: string, limit: number): number | undefined {
  const parser = new Parser();
  for (const lexeme of new Lexer().lex(text)) {
    for (const _token of parser.next(lexeme)) {
      // top-level tokens are not needed here
    }
    if (parser.stack.length > limit) return parser.offset;
  }
  return undefined;
}

// --- the quick path ---------------------------------------------------------------------------

/**
 * Anything that needs the careful reader: tabs, anchors, aliases, tags, directives, document
 * markers, explicit or collection keys, and nesting that could be deep.
 */
const NEEDS_CAREFUL_READ = /[\t&*!%]|^(?:---|\.\.\.)|^[ -]*\?(?:\s|$)|[\]}]\s*:/m;
/** A line holding a flow collection or a quoted scalar: the quick path takes only the simple forms below. */
const FLOW_OR_QUOTED_LINE = /^[^\n]*(?:[[\]{}]|(?:^|[\s,:[{])['"])[^\n]*$/gm;
const KEY = '[A-Za-z0-9_.-]+';
const PLAIN = '[A-Za-z0-9_.@/+](?:[A-Za-z0-9_.@/+ -]*[A-Za-z0-9_.@/+-])?';
const QUOTED = String.raw`(?:'(?:[^'\n]|'')*'|"(?:[^"\\\n]|\\["\\/bfnrt]|\\u[\dA-Fa-f]{4})*")`;
/**
 * `key: []`, `key: {}`, `- { role: sre, from: 2026-01-05 }`, `key: 'text'`, `- "text"`, each
 * optionally followed by a comment. Anything else with flow or quotes (a quoted scalar running
 * over lines, `{}#x`, `}` inside a value) is read by the careful reader: js-yaml accepts some of
 * these where YAML 1.2 does not. An apostrophe inside a word (O'Brien) is plain text and stays.
 */
const SIMPLE_FLOW_OR_QUOTED = new RegExp(
  String.raw`^ *(?:- +)?(?:${KEY}: +)?(?:\[\]|\{\}|\{ *${KEY}: +${PLAIN}(?: *, *${KEY}: +${PLAIN})* *\}|${QUOTED}) *(?: #.*)?$`,
);

function hasComplexFlowOrQuotes(text: string): boolean {
  for (const m of text.matchAll(FLOW_OR_QUOTED_LINE)) if (!SIMPLE_FLOW_OR_QUOTED.test(m[0])) return true;
  return false;
}
/** Text that YAML 1.2's core schema could read as a number, null or boolean. */
const SCALAR_LOOKALIKE =
  /^(?:[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|0o[0-7]+|0x[\da-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|~|null|Null|NULL|true|True|TRUE|false|False|FALSE)$/;

/** Only text, true/false, lists and mappings with ordinary keys: nothing two parsers could read differently. */
function isPlainData(v: unknown): boolean {
  if (typeof v === 'string') return !SCALAR_LOOKALIKE.test(v) && !YAML11_BOOLEANS.test(v);
  if (typeof v === 'boolean') return true;
  if (Array.isArray(v)) return v.every(isPlainData);
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    for (const [k, x] of Object.entries(v)) if (FORBIDDEN_KEYS.has(k) || !isPlainData(x)) return false;
    return true;
  }
  return false; // numbers, null, dates, anything else: the careful reader decides
}

/**
 * Most policy files are plain: a mapping of text, dates and true/false. For those, js-yaml
 * (about ten times faster than the careful reader) gives the same value, so it is used; any
 * file it cannot read, or whose value holds anything but plain data, goes through the careful
 * path, which alone reports problems. Line numbers always come from the careful reader
 * (`locate` parses the text again when one is asked for), so diagnostics never depend on which
 * path a file took. The test suite checks both paths agree on generated files.
 */
export function parsePlainFile(text: string): unknown {
  if (NEEDS_CAREFUL_READ.test(text) || hasComplexFlowOrQuotes(text) || mayNestBeyond(text, MAX_NESTING))
    return undefined;
  let value: unknown;
  try {
    value = jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA, json: false });
  } catch {
    return undefined;
  }
  return value !== null && typeof value === 'object' && isPlainData(value) ? value : undefined;
}
