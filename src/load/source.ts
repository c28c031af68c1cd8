/**
 * A parsed YAML file that remembers where every value came from, so that any later step can
 * say "people/alice.nguyen.yaml:7" about a value without re-reading the file.
 */
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Position } from '../model/diagnostic.js';
import { type Positions, plainPositions, SEP } from './plain-positions.js';

export type YamlPath = readonly (string | number)[];

export interface SourceFile {
  /** Repository-relative, forward slashes. */
  path: string;
  /** The file's text: positions are computed from it only when a line number is asked for. */
  text: string;
  /** The parsed document, while the file is being checked; dropped by `releaseDocument`. */
  doc?: Document.Parsed;
  lineCounter?: LineCounter;
  /**
   * Read by the loader's quick path (plain data, parse-yaml.ts `parsePlainFile`), so that its
   * positions can come from the quick reader too (./plain-positions.ts). Set by `releaseDocument`.
   */
  plain?: true;
  /** Offset of every value and of every key, by path; built on the first `locate`. */
  positions?: Positions;
}

function pathKey(path: YamlPath, length = path.length): string {
  let k = '';
  for (let i = 0; i < length; i++) k += `${SEP}${path[i]}`;
  return k;
}

/**
 * Drops the syntax tree once a file is checked. Keeping ten thousand trees alive for the sake
 * of line numbers costs more in garbage collection than parsing them did; the few files whose
 * lines are shown later are read again then (`ensurePositions`). A file the loader hands over
 * without a tree was read by the quick path (the careful reader always leaves its document): it
 * is marked plain, so its positions are read again by the quick reader, ten times cheaper.
 */
export function releaseDocument(src: SourceFile): void {
  if (!src.doc) src.plain = true;
  delete src.doc;
  if (!src.positions) delete src.lineCounter;
}

/**
 * Builds the table of positions once per file: from the document if it is still there, else
 * from the text, with the quick reader for a plain file (the same offsets, test/load/
 * positions.test.ts) and the careful reader for any other.
 */
function ensurePositions(src: SourceFile): Positions {
  if (src.positions) return src.positions;
  if (!src.doc && src.plain) {
    const plain = plainPositions(src.text);
    if (plain) {
      src.lineCounter = plain.lineCounter;
      src.positions = plain.positions;
      return src.positions;
    }
  }
  let doc = src.doc;
  if (!doc || !src.lineCounter) {
    const lineCounter = new LineCounter();
    doc = parseDocument(src.text, { lineCounter, version: '1.2', schema: 'core', uniqueKeys: false });
    src.lineCounter = lineCounter;
  }
  const values = new Map<string, number>();
  const keys = new Map<string, number>();
  const walk = (node: unknown, key: string) => {
    const range = (node as { range?: number[] } | null)?.range;
    if (range) values.set(key, range[0]!);
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const k = `${key}${SEP}${String(pair.key.value)}`;
        if (pair.key.range) keys.set(k, pair.key.range[0]);
        if (pair.value) walk(pair.value, k);
        else if (pair.key.range) values.set(k, pair.key.range[0]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        walk(item, `${key}${SEP}${i}`);
      });
    }
  };
  walk(doc.contents, '');
  src.positions = { values, keys };
  return src.positions;
}

/** A model value and the place in a file it was read from. */
export interface Located<T> {
  value: T;
  src: SourceFile;
  /** Path of the value inside the file: [] for a whole-file object, [i] for a catalog entry. */
  at: YamlPath;
}

/**
 * Where something is, as plain data: never a line number computed behind a property read.
 *
 * A `ValueRef` names a model value (the located value and a path inside it); its line is computed
 * only when a renderer asks (`lineOf`, `formatRef`), because resolving ten thousand people names
 * a place for every grant while only the few that change are ever shown, and a line needs the
 * file's table of positions (built once per file, `ensurePositions`). A `LineRef` is a fixed
 * line, for a file jml does not read as YAML (code, the written policy) or a whole file.
 */
export type SourceRef = ValueRef | LineRef;

export interface ValueRef {
  file: string;
  located: Located<unknown>;
  /** Path inside the located value. */
  path: YamlPath;
}

export interface LineRef {
  file: string;
  line: number;
}

/**
 * Finds the line and column of `path` in a file. When the path does not exist (a missing field),
 * it points at the deepest part that does, which is the object the field is missing from.
 * With `key: true` it points at the key of the last segment rather than its value.
 */
export function locate(src: SourceFile, path: YamlPath, opts: { key?: boolean } = {}): Position {
  const { values, keys } = ensurePositions(src);
  let offset: number | undefined;
  if (opts.key && path.length > 0) offset = keys.get(pathKey(path));
  for (let n = path.length; offset === undefined && n >= 0; n--) offset = values.get(pathKey(path, n));
  const { line, col } = src.lineCounter!.linePos(offset ?? 0);
  return { line, column: col };
}

/** The place of a value: `path` inside `located` (the value itself when empty). */
export function refOf(located: Located<unknown>, path: YamlPath = []): ValueRef {
  return { file: located.src.path, located, path };
}

/** A fixed line of a file (the first by default). */
export function lineRef(file: string, line = 1): LineRef {
  return { file, line };
}

/** The line a place is on (1-based); for a value, from its file's table of positions. */
export function lineOf(ref: SourceRef): number {
  if ('line' in ref) return ref.line;
  const { src, at } = ref.located;
  return locate(src, ref.path.length ? [...at, ...ref.path] : at).line;
}

/** A place as shown to people: `people/alice.nguyen.yaml:7`. */
export function formatRef(ref: SourceRef): string {
  return `${ref.file}:${lineOf(ref)}`;
}
