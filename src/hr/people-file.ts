/**
 * People files as HR sync writes them: a new joiner's file (with the schema line the example
 * people carry, so editors check it) and edits to an existing one that keep its comments, key
 * order and flow style. Pure text in, text out.
 */
import { Document, isMap, isSeq, parseDocument } from 'yaml';
import { editPolicyYaml, toPolicyYaml } from '../load/write-yaml.js';
import { type PersonInput, schemaLine } from '../model/schema.js';

export const PERSON_SCHEMA_LINE = schemaLine('person', 1);

/** One edit of a people file: set a value (a path into the YAML), or remove the key. */
export type PersonEdit =
  | { set: readonly (string | number)[]; value: unknown }
  | { remove: readonly (string | number)[] };

/** A role entry as the example people write it: `- { role: sre, from: 2027-02-01 }`. */
export function roleEntryNode(role: string, from: string): unknown {
  return new Document().createNode({ role, from }, { flow: true });
}

/**
 * The text of a new people file: the schema line, a line saying where it came from, then the
 * person with the role history in flow style.
 */
export function newPersonFile(person: PersonInput, origin: string): string {
  const doc = parseDocument(toPolicyYaml(person, `${PERSON_SCHEMA_LINE}\n ${origin}`), { version: '1.2' });
  const roles = doc.get('roles');
  if (isSeq(roles)) for (const item of roles.items) if (isMap(item)) item.flow = true;
  return doc.toString({ lineWidth: 0 });
}

/** Applies edits to a people file's text in order, keeping everything they do not touch. */
export function editPersonFile(text: string, edits: readonly PersonEdit[]): string {
  let out = text;
  let sets: [readonly (string | number)[], unknown][] = [];
  const flush = () => {
    if (sets.length) out = editPolicyYaml(out, sets);
    sets = [];
  };
  for (const e of edits) {
    if ('set' in e) {
      sets.push([e.set, e.value]);
      continue;
    }
    flush();
    const doc = parseDocument(out, { version: '1.2' });
    doc.deleteIn(e.remove);
    out = doc.toString({ lineWidth: 0 });
  }
  flush();
  return out;
}

/** ASCII lower-case letters and digits of a name part: "Zoë" -> "zoe", "O'Brien" -> "obrien". */
function asciiPart(part: string): string {
  return part
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ß/g, 'ss')
    .replace(/[æÆ]/g, 'ae')
    .replace(/[øØ]/g, 'o')
    .replace(/[łŁ]/g, 'l')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/**
 * A person id from a name: `first.last` (the first and the last word), ASCII lower-case; with a
 * number from 2 on when `taken` already has it (`jane.doe2`). A name with no ASCII letter at all
 * gives `worker-<sourceId>`.
 */
export function personIdFor(
  name: string,
  sourceId: string,
  taken: (id: string) => boolean,
  /** Per base id, the next number to try: namesakes in one snapshot cost one look-up each. */
  suffixes: Map<string, number> = new Map(),
): string {
  const parts = name
    .split(/\s+/)
    .map(asciiPart)
    .filter((p) => p.length > 0);
  let base =
    parts.length === 0
      ? `worker-${asciiPart(sourceId) || 'x'}`
      : parts.length === 1
        ? parts[0]!
        : `${parts[0]}.${parts[parts.length - 1]}`;
  base = base.slice(0, 60);
  if (!taken(base)) return base;
  for (let n = suffixes.get(base) ?? 2; ; n++) {
    if (!taken(`${base}${n}`)) {
      suffixes.set(base, n + 1);
      return `${base}${n}`;
    }
  }
}
