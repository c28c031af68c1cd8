/**
 * Reading one YAML file defensively. Policy files arrive in pull requests from many hands, so
 * everything that could surprise a reader (or a parser) is refused here with a position and a
 * hint: bad bytes, tabs, duplicate keys, aliases (the "billion laughs" bomb), prototype keys,
 * and YAML 1.1 booleans that mean different things to different tools.
 */
import { isMap, isPair, isScalar, LineCounter, parseDocument, Scalar, visit } from 'yaml';
import type { Diagnostic } from '../model/diagnostic.js';
import type { SourceFile } from './source.js';

/** Largest file the loader reads. A policy file is a few kilobytes; a megabyte is an accident or an attack. */
export const MAX_FILE_BYTES = 1024 * 1024;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Plain scalars YAML 1.1 reads as booleans but YAML 1.2 reads as strings: ambiguous, so refused. */
const YAML11_BOOLEANS = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;

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
    return {
      ok: false,
      diagnostics: [
        diag(
          file,
          1,
          1,
          'file-too-large',
          `This file is ${Math.round(bytes.byteLength / 1024)} KiB; files here may be at most ${MAX_FILE_BYTES / 1024} KiB.`,
          'Policy files are small. Split it, or check that nothing was pasted into it by mistake.',
        ),
      ],
    };
  }
  const text = decodeUtf8(file, bytes);
  if (typeof text !== 'string') return { ok: false, diagnostics: [text] };

  const diagnostics: Diagnostic[] = [];
  const lines = text.split('\n');
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

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    uniqueKeys: true,
    prettyErrors: true,
    version: '1.2',
    schema: 'core',
    strict: true,
  });
  for (const e of doc.errors) {
    const pos = e.linePos?.[0] ?? { line: 1, col: 1 };
    const duplicate = e.code === 'DUPLICATE_KEY';
    diagnostics.push(
      diag(
        file,
        pos.line,
        pos.col,
        duplicate ? 'duplicate-key' : 'yaml-syntax',
        duplicate
          ? 'This key appears twice in the same block; YAML keeps only one and the other would be lost silently.'
          : `The file is not valid YAML: ${e.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}.`,
        duplicate
          ? 'Keep one of the two entries and merge their values.'
          : 'Check indentation (spaces, aligned under the parent), colons after keys, and quotes around text containing ": " or "#".',
      ),
    );
  }
  if (diagnostics.length > 0) return { ok: false, diagnostics };

  const pos = (offset: number | undefined) => lineCounter.linePos(offset ?? 0);
  visit(doc, {
    Alias(_, node) {
      const p = pos(node.range?.[0]);
      diagnostics.push(
        diag(
          file,
          p.line,
          p.col,
          'yaml-alias',
          `The alias *${node.source} repeats another part of the file. Aliases are not allowed in policy files.`,
          'Write the value out in full: a reviewer must see every grant where it applies.',
        ),
      );
    },
    Pair(_, pair) {
      if (!isScalar(pair.key)) {
        const p = pos((pair.key as { range?: [number] } | null)?.range?.[0]);
        diagnostics.push(
          diag(
            file,
            p.line,
            p.col,
            'yaml-complex-key',
            'Keys must be plain names.',
            'Use a simple word as the key.',
          ),
        );
        return;
      }
      const key = String(pair.key.value);
      if (FORBIDDEN_KEYS.has(key)) {
        const p = pos(pair.key.range?.[0]);
        diagnostics.push(
          diag(
            file,
            p.line,
            p.col,
            'forbidden-key',
            `The key "${key}" is not allowed: it could change how the engine itself behaves.`,
            'Remove this key; no policy file uses it.',
          ),
        );
      }
    },
    Scalar(key, node) {
      if (key === 'key') return;
      if (node.type === Scalar.PLAIN && typeof node.value === 'string' && YAML11_BOOLEANS.test(node.value)) {
        const p = pos(node.range?.[0]);
        diagnostics.push(
          diag(
            file,
            p.line,
            p.col,
            'ambiguous-boolean',
            `"${node.value}" means true/false to some YAML tools and text to others.`,
            `Write true or false for a yes/no field, or put it in quotes ("${node.value}") if you mean the text.`,
          ),
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
  return { ok: true, src: { path: file, doc, lineCounter }, value };
}

/** True when the top of the file is a mapping (a person, role or exception file). */
export function isMapping(src: SourceFile): boolean {
  return isMap(src.doc.contents);
}

export { isPair };
