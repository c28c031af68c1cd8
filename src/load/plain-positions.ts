/**
 * The table of positions of a plain file (one the loader's quick path read: parse-yaml.ts
 * `parsePlainFile`), built from js-yaml's node events instead of composing the file again with
 * the careful reader, which costs ten times more. The table is the careful reader's, offset for
 * offset: every node starts at its first character of content (a key, a `-`, a bracket, a quote,
 * a block scalar's indicator), an empty value right after its colon. Anything this cannot read
 * exactly (a null sequence entry, a shape that does not add up, a carriage return) gives
 * undefined, and the careful reader builds the table instead; test/load/positions.test.ts holds
 * the two readers equal on every plain file of the repository and on generated ones.
 */
import jsyaml from 'js-yaml';
import { LineCounter } from 'yaml';

/** Offset of every value and of every key, by path key (segments each preceded by SEP). */
export interface Positions {
  values: Map<string, number>;
  keys: Map<string, number>;
}

export const SEP = '\u0000';

interface Node {
  /** Where js-yaml started composing it: its content, or the blanks before it. */
  open: number;
  kind: string | null;
  result: unknown;
  children: Node[];
}

/** The first offset at or after `i` that is not a space, a line break or a comment. */
function contentFrom(text: string, i: number): number {
  for (;;) {
    const ch = text.charCodeAt(i);
    if (ch === 32 || ch === 10) i++;
    else if (ch === 35) {
      const nl = text.indexOf('\n', i);
      if (nl < 0) return text.length;
      i = nl;
    } else return i;
  }
}

/** The line starts of `text`, as the careful reader counts them. */
function lineCounterOf(text: string): LineCounter {
  const lc = new LineCounter();
  lc.addNewLine(0);
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lc.addNewLine(i + 1);
  return lc;
}

/** The positions and line starts of a plain file, or undefined when the careful reader must build them. */
export function plainPositions(text: string): { positions: Positions; lineCounter: LineCounter } | undefined {
  if (text.includes('\r') || text.includes('\t')) return undefined;
  const stack: Node[] = [{ open: 0, kind: null, result: undefined, children: [] }];
  const listener = (
    event: 'open' | 'close',
    state: { position: number; kind: string | null; result: unknown },
  ) => {
    if (event === 'open') {
      stack.push({ open: state.position, kind: null, result: undefined, children: [] });
      return;
    }
    const node = stack.pop()!;
    node.kind = state.kind;
    node.result = state.result;
    stack[stack.length - 1]!.children.push(node);
  };
  try {
    jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA, json: false, listener });
  } catch {
    return undefined;
  }
  const roots = stack[0]!.children;
  if (stack.length !== 1 || roots.length !== 1) return undefined;
  const values = new Map<string, number>();
  const keys = new Map<string, number>();
  const walk = (node: Node, key: string): boolean => {
    // An empty value (no content at all) is where its colon left off; anything else, its content.
    values.set(key, node.kind === null ? node.open : contentFrom(text, node.open));
    // A block-mapping attempt that found a flow collection instead keeps it as its own result.
    let n = node;
    while (n.children.length === 1 && n.children[0]!.result === n.result && typeof n.result === 'object')
      n = n.children[0]!;
    if (n.kind === 'mapping') {
      const result = n.result as Record<string, unknown>;
      if (n.children.length !== 2 * Object.keys(result).length) return false;
      for (let i = 0; i < n.children.length; i += 2) {
        const k = n.children[i]!;
        if (k.kind !== 'scalar' || !Object.hasOwn(result, String(k.result))) return false;
        const path = `${key}${SEP}${String(k.result)}`;
        keys.set(path, contentFrom(text, k.open));
        if (!walk(n.children[i + 1]!, path)) return false;
      }
    } else if (n.kind === 'sequence') {
      if (n.children.length !== (n.result as unknown[]).length) return false;
      for (let i = 0; i < n.children.length; i++) if (!walk(n.children[i]!, `${key}${SEP}${i}`)) return false;
    }
    return true;
  };
  if (!walk(roots[0]!, '')) return undefined;
  return { positions: { values, keys }, lineCounter: lineCounterOf(text) };
}
