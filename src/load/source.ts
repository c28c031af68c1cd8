/**
 * A parsed YAML file that remembers where every value came from, so that any later step can
 * say "people/alice.nguyen.yaml:7" about a value without re-reading the file.
 */
import { type Document, isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import type { Position } from '../model/diagnostic.js';

export type YamlPath = readonly (string | number)[];

export interface SourceFile {
  /** Repository-relative, forward slashes. */
  path: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

/** A model value and the place in a file it was read from. */
export interface Located<T> {
  value: T;
  src: SourceFile;
  /** Path of the value inside the file: [] for a whole-file object, [i] for a catalog entry. */
  at: YamlPath;
}

/** A position as shown to people: `people/alice.nguyen.yaml:7`. */
export interface SourceRef {
  file: string;
  line: number;
}

/**
 * Finds the line and column of `path` in a file. When the path does not exist (a missing field),
 * it points at the deepest node that does, which is the object the field is missing from.
 * With `key: true` it points at the key of the last segment rather than its value.
 */
export function locate(src: SourceFile, path: YamlPath, opts: { key?: boolean } = {}): Position {
  let node: Node | null = src.doc.contents as Node | null;
  let found: Node | null = node;
  for (let i = 0; i < path.length && node; i++) {
    const seg = path[i];
    const isLast = i === path.length - 1;
    let next: Node | null = null;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (pair) {
        next = (isLast && opts.key ? pair.key : (pair.value ?? pair.key)) as Node | null;
      }
    } else if (isSeq(node) && typeof seg === 'number') {
      next = (node.items[seg] as Node | undefined) ?? null;
    }
    if (!next) break;
    node = next;
    found = next;
  }
  const offset = found?.range?.[0] ?? 0;
  const { line, col } = src.lineCounter.linePos(offset);
  return { line, column: col };
}

export function refOf(located: Located<unknown>, path: YamlPath = []): SourceRef {
  const { line } = locate(located.src, [...located.at, ...path]);
  return { file: located.src.path, line };
}

export function formatRef(ref: SourceRef): string {
  return `${ref.file}:${ref.line}`;
}
