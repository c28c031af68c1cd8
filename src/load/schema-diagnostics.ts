/**
 * Turns zod's issues into diagnostics a person editing YAML can act on: the field, what is
 * wrong with it in plain words, and the field's own description as the hint.
 */
import { isScalar } from 'yaml';
import type { z } from 'zod';
import type { Diagnostic } from '../model/diagnostic.js';
import { offsetAt } from '../model/time.js';
import { locate, type SourceFile, type YamlPath } from './source.js';

type AnySchema = z.ZodType;

interface Def {
  type: string;
  innerType?: AnySchema;
  element?: AnySchema;
  shape?: Record<string, AnySchema>;
}

function defOf(schema: AnySchema): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

function unwrap(schema: AnySchema): AnySchema {
  let s = schema;
  for (
    let d = defOf(s);
    d.innerType && ['default', 'optional', 'nullable', 'prefault', 'pipe'].includes(d.type);
  ) {
    s = d.innerType;
    d = defOf(s);
  }
  return s;
}

/** The sub-schema at `path`, for field lists and descriptions. */
function schemaAt(schema: AnySchema, path: YamlPath): AnySchema | undefined {
  let s: AnySchema | undefined = schema;
  for (const seg of path) {
    if (!s) return undefined;
    const d = defOf(unwrap(s));
    if (d.type === 'array' && typeof seg === 'number') s = d.element;
    else if (d.type === 'object' && typeof seg === 'string') s = d.shape?.[seg];
    else return undefined;
  }
  return s;
}

function descriptionOf(schema: AnySchema | undefined): string | undefined {
  if (!schema) return undefined;
  return (schema as unknown as { description?: string }).description ?? unwrap(schema).description;
}

function valueAt(root: unknown, path: YamlPath): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

function describeValue(v: unknown): string {
  if (v === null) return 'empty';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a block of fields';
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'boolean') return `${v}`;
  return `"${String(v)}"`;
}

const EXPECTED: Record<string, string> = {
  string: 'text',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a block of fields',
};

function fieldName(path: YamlPath): string {
  const named = [...path].reverse().find((p) => typeof p === 'string');
  if (named === undefined) return path.length ? `item ${Number(path[path.length - 1]) + 1}` : 'the file';
  const idx = path[path.length - 1];
  return typeof idx === 'number' ? `${named}[${idx + 1}]` : String(named);
}

/** The scalar's text exactly as written in the file, when `path` is a plain scalar. */
function scalarSource(src: SourceFile, path: YamlPath): string | undefined {
  const node = src.doc?.getIn(path, true);
  return isScalar(node) && typeof node.source === 'string' ? node.source : undefined;
}

/**
 * How to give a local time its offset: in the organisation's zone, the offset that zone has at
 * that very date and time (daylight saving included), never a fixed one.
 */
function offsetHint(local: string, zone: string | undefined): string {
  const offset = zone ? offsetAt(local, zone) : undefined;
  if (zone && offset)
    return `Add the UTC offset, like ${local}${offset} (${zone} on that date and time), or Z for UTC.`;
  return `Add the UTC offset the time zone you mean has on that date (daylight saving changes it), or Z for UTC, like ${local}Z.`;
}

/** Maps zod issues for one value (a file, or one entry of a catalog) to diagnostics. */
export function schemaDiagnostics(
  src: SourceFile,
  base: YamlPath,
  schema: AnySchema,
  raw: unknown,
  issues: readonly z.core.$ZodIssue[],
  /** Rule ids for specific missing fields, e.g. `{ justification: 'exception-no-justification' }`. */
  missingRules: Readonly<Record<string, string>> = {},
  /** The organisation's time zone when known (policy/jml.yaml): offset hints are computed in it. */
  zone?: string,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of issues) {
    const path = issue.path as (string | number)[];
    const full = [...base, ...path];
    // Named from the whole path, so an entry of a catalog is "item 3", never "the file".
    const field = fieldName(full);
    const subject = full.some((p) => typeof p === 'string')
      ? `"${field}"`
      : `${field.charAt(0).toUpperCase()}${field.slice(1)}`;
    const description = descriptionOf(schemaAt(schema, path));
    const hintTail = description ? ` (${field}: ${description})` : '';
    const at = (p: YamlPath, key = false) => locate(src, p, { key });
    const push = (rule: string, p: YamlPath, message: string, hint: string, key = false) => {
      const { line, column } = at(p, key);
      out.push({ severity: 'error', rule, file: src.path, line, column, message, hint });
    };

    switch (issue.code) {
      case 'unrecognized_keys': {
        const parent = unwrap(schemaAt(schema, path) ?? schema);
        const allowed = Object.keys(defOf(parent).shape ?? {});
        for (const key of issue.keys) {
          push(
            'unknown-field',
            [...full, key],
            `"${key}" is not a field this file can have.`,
            `Check the spelling. Fields allowed here: ${allowed.join(', ')}.`,
            true,
          );
        }
        break;
      }
      case 'invalid_type': {
        const actual = valueAt(raw, path);
        const last = String(path[path.length - 1]);
        const policyRule = missingRules[last];
        if (actual === undefined) {
          // Point at the key of the block the field is missing from (line 1 for the whole file).
          push(
            policyRule ?? 'missing-field',
            full.slice(0, -1),
            `The required field "${field}" is missing.`,
            `Add "${last}:"${hintTail}.`,
            true,
          );
        } else if (actual === null && policyRule) {
          push(policyRule, full, `The required field "${field}" is empty.`, `Fill in "${last}:"${hintTail}.`);
        } else {
          const expected = EXPECTED[issue.expected] ?? issue.expected;
          // The text as written: `hrId: 012345` must be quoted as "012345", not as the number 12345.
          const written = scalarSource(src, full) ?? String(actual);
          const quoteHint =
            issue.expected === 'string' && (typeof actual === 'number' || typeof actual === 'boolean')
              ? `Put it in quotes, like "${written}", if you mean the text.`
              : `Write ${expected} here${hintTail}.`;
          push(
            'wrong-type',
            full,
            `${subject} must be ${expected}, but it is ${describeValue(actual)}.`,
            quoteHint,
          );
        }
        break;
      }
      case 'invalid_format': {
        const actual = valueAt(raw, path);
        const isLocalTime =
          issue.format === 'datetime' &&
          typeof actual === 'string' &&
          /[Tt]\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(actual);
        if (isLocalTime) {
          push(
            'instant-without-offset',
            full,
            `${subject} is ${describeValue(actual)}, a time without a UTC offset: it would mean a different moment depending on where it is read.`,
            offsetHint(actual, zone),
          );
        } else {
          push(
            issue.format === 'date'
              ? 'bad-date'
              : issue.format === 'datetime'
                ? 'bad-instant'
                : 'invalid-value',
            full,
            `${subject} is ${describeValue(actual)}, which ${issue.message}.`,
            description ? `${field}: ${description}` : 'Correct the value.',
          );
        }
        break;
      }
      case 'invalid_value': {
        const actual = valueAt(raw, path);
        push(
          'invalid-value',
          full,
          `${subject} is ${describeValue(actual)}, which is not one of the allowed values.`,
          `Use one of: ${issue.values.map(String).join(', ')}.`,
        );
        break;
      }
      default: {
        const actual = valueAt(raw, path);
        push(
          'invalid-value',
          full,
          `${subject} is ${describeValue(actual)}: ${issue.message}.`,
          description ? `${field}: ${description}` : 'Correct the value.',
        );
      }
    }
  }
  return out;
}
