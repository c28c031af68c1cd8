/**
 * Characters that make text look like something it is not. A right-to-left override turns
 * "Bob Smith" into a name that displays differently in the pull request than on the identity
 * provider; a zero-width space makes two names that look equal differ; a control character (NUL
 * above all) is cut, dropped or refused differently by every system the value reaches. None of
 * them belongs in a policy file, so any string value holding one is an error Diagnostic at its
 * line (`unsafe-character`), names above all. Line breaks and tabs are allowed only in the
 * free-text fields written over several lines (`MULTILINE_FIELDS`).
 *
 * YAML lets all of these through: a plain or quoted scalar may hold most of them raw, and a
 * double-quoted scalar can write any of them as an escape ("\0", "\u202E"), so the check is
 * made on the loaded values, not on the file's bytes.
 */
import type { Repository } from '../../load/load-repo.js';
import type { Located, YamlPath } from '../../load/source.js';
import type { Emit } from '../emit.js';

/** What kind of unsafe character a code point is, or undefined for an ordinary one. */
function kindOf(cp: number, multiline: boolean): string | undefined {
  if (cp === 0x0a || cp === 0x09) return multiline ? undefined : cp === 0x0a ? 'a line break' : 'a tab';
  if (cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f)) return cp === 0 ? 'a NUL character' : 'a control character';
  if (
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069) ||
    cp === 0x200e ||
    cp === 0x200f ||
    cp === 0x061c
  )
    return 'a bidirectional-text control, which reorders how the text around it is displayed';
  if ((cp >= 0x200b && cp <= 0x200d) || (cp >= 0x2060 && cp <= 0x2064) || cp === 0xfeff || cp === 0x180e)
    return 'an invisible zero-width character';
  if (cp >= 0xe0000 && cp <= 0xe007f) return 'an invisible tag character';
  if (cp === 0x2028 || cp === 0x2029) return 'a Unicode line or paragraph separator';
  return undefined;
}

/**
 * Every character `kindOf` can report, tag characters as their surrogate pair (U+E0000-E007F is
 * U+DB40 then U+DC00-DC7F). A string without any is ordinary and costs one test; only a string
 * with one is read character by character (test/validate/unsafe-text.test.ts holds the two to
 * the same answer for every code point).
 */
const MAYBE_UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
  /[\u0000-\u001f\u007f-\u009f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2064\u2066-\u2069\ufeff]|\udb40[\udc00-\udc7f]/;

/** The first unsafe character of `text`: its kind, code point and position (0-based, in characters). */
export function findUnsafeCharacter(
  text: string,
  multiline = false,
): { kind: string; codePoint: number; index: number } | undefined {
  if (!MAYBE_UNSAFE.test(text)) return undefined;
  let index = 0;
  for (const ch of text) {
    const codePoint = ch.codePointAt(0)!;
    const kind = kindOf(codePoint, multiline);
    if (kind) return { kind, codePoint, index };
    index++;
  }
  return undefined;
}

/** U+202E */
function codePointName(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * `text` safe to show in a message: every unsafe character written as \u{...}, so the message
 * itself cannot be reordered or hide anything, and long values shortened.
 */
function showEscaped(text: string, multiline = false): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    out += kindOf(cp, multiline) || cp === 0x0a || cp === 0x09 ? `\\u{${cp.toString(16).toUpperCase()}}` : ch;
  }
  return out.length > 80 ? `${out.slice(0, 77)}...` : out;
}

/** Free-text fields that may run over several lines, by kind of value. */
const MULTILINE_FIELDS: Record<string, ReadonlySet<string>> = {
  exception: new Set(['justification']),
  role: new Set(['description']),
  sod: new Set(['rationale']),
};

/** `employment.end`, `roles[1].role`: a path as a person editing the file would name it. */
function fieldName(path: YamlPath): string {
  let name = '';
  for (const seg of path) name += typeof seg === 'number' ? `[${seg}]` : name ? `.${seg}` : seg;
  return name || 'value';
}

/**
 * Reports every string value (and mapping key) holding an unsafe character, once per value. The
 * path walked so far is one stack, copied only for a report: most values are fine. With the
 * quick test above, validation at 100,000 people takes 1.5 s of CPU instead of 2.0 s.
 */
function checkValue(emit: Emit, at: Located<unknown>, kind: string): void {
  const multilineFields = MULTILINE_FIELDS[kind];
  const stack: (string | number)[] = [];
  const report = (text: string, isKey: boolean) => {
    const multiline = !isKey && stack.length === 1 && multilineFields?.has(String(stack[0])) === true;
    const bad = findUnsafeCharacter(text, multiline);
    if (!bad) return;
    const path: YamlPath = [...stack];
    const field = fieldName(path);
    const shown = `"${showEscaped(text, multiline)}"`;
    emit(
      'error',
      'unsafe-character',
      at,
      path,
      `${isKey ? `The key ${shown} under ${fieldName(path.slice(0, -1))}` : `The value of ${field}, ${shown},`} contains ${bad.kind} (${codePointName(bad.codePoint)}, character ${bad.index + 1}). It can make the text display differently from what it is, or be cut short or refused by the systems it reaches.`,
      multiline
        ? `Delete the character (it is invisible in most editors; search for ${codePointName(bad.codePoint)}). Line breaks and tabs are fine here, other control characters are not.`
        : `Type the value again by hand, without the character (it is invisible in most editors; search for ${codePointName(bad.codePoint)}).${bad.codePoint === 0x0a || bad.codePoint === 0x09 ? ` ${field} is one line of text.` : ''}`,
      isKey,
    );
  };
  const walk = (value: unknown) => {
    if (typeof value === 'string') report(value, false);
    else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        stack.push(i);
        walk(value[i]);
        stack.pop();
      }
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        stack.push(k);
        report(k, true);
        walk(v);
        stack.pop();
      }
    }
  };
  walk(at.value);
}

/**
 * Checks every string in people, roles, exceptions, the catalog, apps, separation-of-duties
 * rules and policy/jml.yaml. Review files are written by `jml review start` from provider data
 * and are not checked here.
 */
export function validateUnsafeText(repo: Repository, emit: Emit): void {
  if (repo.policy) checkValue(emit, repo.policy, 'policy');
  for (const [list, kind] of [
    [repo.people, 'person'],
    [repo.roles, 'role'],
    [repo.exceptions, 'exception'],
    [repo.entitlements, 'entitlement'],
    [repo.apps, 'app'],
    [repo.sod, 'sod'],
  ] as const) {
    for (const item of list as readonly Located<unknown>[]) checkValue(emit, item, kind);
  }
}
