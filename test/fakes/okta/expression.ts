/**
 * Okta's filter and search expressions (developer.okta.com/docs/api/#filter), the part the fake
 * needs: `attr eq "value"`, `sw`, `co`, `pr`, joined by `and` / `or` with parentheses. Attribute
 * names are case-sensitive; `search` compares values case-insensitively, `filter` exactly.
 * `gt`, `ge`, `lt`, `le` compare instants, on the attributes a caller lists as `instants` only
 * (Okta's examples: `lastUpdated gt "2014-01-01T00:00:00.000Z"`, `lastMembershipUpdated gt ...`),
 * written as Okta writes them (`yyyy-MM-dd'T'HH:mm:ss.SSSZ`); anything else is refused. An
 * attribute inside an array (the System Log's `target.id`) matches when any element does (SCIM).
 */
import { BadRequest } from '../fake-server.js';

type Node =
  | { op: 'and' | 'or'; left: Node; right: Node }
  | { op: 'eq' | 'sw' | 'co'; attr: string; value: string | boolean | number }
  | { op: 'gt' | 'ge' | 'lt' | 'le'; attr: string; value: string | boolean | number }
  | { op: 'pr'; attr: string };

const OPERATORS = ['eq', 'sw', 'co', 'gt', 'ge', 'lt', 'le'] as const;
const COMPARISONS: ReadonlySet<string> = new Set(['gt', 'ge', 'lt', 'le']);
/** How Okta writes an instant in an expression. */
const INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const TOKEN = /\s*(\(|\)|"(?:[^"\\]|\\.)*"|[^\s()]+)/y;

function tokenize(text: string): string[] {
  if (text.trim() === '') throw new BadRequest('Invalid search criteria.');
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) out.push(m[1]!);
  return out;
}

function parse(tokens: string[]): Node {
  let i = 0;
  const peek = () => tokens[i]?.toLowerCase();
  const expr = (): Node => {
    let left = term();
    while (peek() === 'or') {
      i++;
      left = { op: 'or', left, right: term() };
    }
    return left;
  };
  const term = (): Node => {
    let left = factor();
    while (peek() === 'and') {
      i++;
      left = { op: 'and', left, right: factor() };
    }
    return left;
  };
  const factor = (): Node => {
    if (tokens[i] === '(') {
      i++;
      const inner = expr();
      if (tokens[i++] !== ')') throw new BadRequest('Invalid search criteria.');
      return inner;
    }
    const attr = tokens[i++];
    const op = tokens[i++]?.toLowerCase();
    if (!attr || !op) throw new BadRequest('Invalid search criteria.');
    if (op === 'pr') return { op, attr };
    if (!(OPERATORS as readonly string[]).includes(op))
      throw new BadRequest(`Invalid search criteria: operator ${op}`);
    return { op: op as (typeof OPERATORS)[number], attr, value: literal(tokens[i++]) };
  };
  const node = expr();
  if (i !== tokens.length) throw new BadRequest('Invalid search criteria.');
  return node;
}

function literal(token: string | undefined): string | boolean | number {
  if (token === undefined) throw new BadRequest('Invalid search criteria.');
  if (token.startsWith('"')) return token.slice(1, -1).replace(/\\(.)/g, '$1');
  if (token === 'true' || token === 'false') return token === 'true';
  if (/^-?\d+(\.\d+)?$/.test(token)) return Number(token);
  throw new BadRequest(`Invalid search criteria: ${token}`);
}

/** The values an attribute path reaches: one, or one per element of an array on the way. */
function lookup(obj: unknown, attr: string): unknown[] {
  let at: unknown[] = [obj];
  for (const part of attr.split('.')) {
    at = at.flatMap((x) => {
      const v = (x as Record<string, unknown> | undefined)?.[part];
      return Array.isArray(v) ? v : [v];
    });
  }
  return at;
}

/** Compiles an expression; `attributes` lists what may be referred to (others are refused). */
export function compileExpression(
  text: string,
  opts: { caseInsensitive: boolean; attributes: readonly string[]; instants?: readonly string[] },
): (obj: unknown) => boolean {
  const tree = parse(tokenize(text));
  const check = (n: Node): void => {
    if (!('attr' in n)) {
      check(n.left);
      check(n.right);
      return;
    }
    if (!opts.attributes.includes(n.attr)) {
      throw new BadRequest(`Invalid search criteria: ${n.attr} is not supported`);
    }
    if (!COMPARISONS.has(n.op)) return;
    if (!opts.instants?.includes(n.attr))
      throw new BadRequest(`Invalid search criteria: operator ${n.op} is not supported on ${n.attr}`);
    if (!('value' in n) || typeof n.value !== 'string' || !INSTANT.test(n.value))
      throw new BadRequest(`Invalid search criteria: ${n.attr} ${n.op} needs "yyyy-MM-dd'T'HH:mm:ss.SSSZ"`);
  };
  check(tree);
  const norm = (v: unknown) => (opts.caseInsensitive && typeof v === 'string' ? v.toLowerCase() : v);
  const evaluate = (n: Node, obj: unknown): boolean => {
    switch (n.op) {
      case 'and':
        return evaluate(n.left, obj) && evaluate(n.right, obj);
      case 'or':
        return evaluate(n.left, obj) || evaluate(n.right, obj);
      case 'pr':
        return lookup(obj, n.attr).some((v) => v !== undefined && v !== null);
      case 'gt':
      case 'ge':
      case 'lt':
      case 'le': {
        const wanted = Date.parse(n.value as string);
        return lookup(obj, n.attr).some((v) => {
          const at = typeof v === 'string' ? Date.parse(v) : Number.NaN;
          if (Number.isNaN(at)) return false;
          if (n.op === 'gt') return at > wanted;
          if (n.op === 'ge') return at >= wanted;
          return n.op === 'lt' ? at < wanted : at <= wanted;
        });
      }
      default: {
        const wanted = norm(n.value);
        return lookup(obj, n.attr).some((v) => {
          const actual = norm(v);
          if (n.op === 'eq') return actual === wanted;
          if (typeof actual !== 'string' || typeof wanted !== 'string') return false;
          return n.op === 'sw' ? actual.startsWith(wanted) : actual.includes(wanted);
        });
      }
    }
  };
  return (obj) => evaluate(tree, obj);
}
