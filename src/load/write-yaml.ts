/**
 * Writing YAML that the loader reads back exactly: for tools that generate policy files (dump,
 * HR sync, scripts). A plain `yaml.stringify` writes `department: no` unquoted, which the loader
 * refuses as an ambiguous boolean, and puts tabs at the start of block-scalar lines, which it
 * refuses as tab indentation; this writer quotes those values instead.
 */
import { Document, parseDocument, Scalar, visit } from 'yaml';
import { YAML11_BOOLEANS } from './parse-yaml.js';

/** `value` as the text of a policy file, with an optional comment line on top. */
export function toPolicyYaml(value: unknown, comment?: string): string {
  const doc = new Document(value, { version: '1.2' });
  visit(doc, {
    Scalar(key, node) {
      if (key === 'key' || typeof node.value !== 'string') return;
      if (YAML11_BOOLEANS.test(node.value) || /[\t\n\r]/.test(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  if (comment) doc.commentBefore = ` ${comment}`;
  return doc.toString({ lineWidth: 0 });
}

/**
 * Sets values in a policy file's text, keeping its comments, key order and flow style (an
 * emergency offboarding writing `employment.end` into a person's file, say).
 */
export function editPolicyYaml(
  text: string,
  edits: readonly [readonly (string | number)[], unknown][],
): string {
  const doc = parseDocument(text, { version: '1.2' });
  for (const [at, value] of edits) doc.setIn(at, value);
  return doc.toString({ lineWidth: 0 });
}
