/**
 * The unsafe-character rule (src/validate/rules/unsafe-text.ts) over every code point: a string
 * is first tested for any character the rule could report, and read character by character only
 * then, so a range missing from that quick test would let its characters through unseen. The
 * expected classes are written out here from the rule's description, not taken from the code.
 */
import { describe, expect, it } from 'vitest';
import { findUnsafeCharacter } from '../../src/validate/rules/unsafe-text.js';

/** The code points the rule refuses, as its documentation lists them. */
function documentedUnsafe(cp: number, multiline: boolean): boolean {
  if (cp === 0x0a || cp === 0x09) return !multiline;
  const ranges: [number, number][] = [
    [0x00, 0x1f], // C0 controls
    [0x7f, 0x9f], // DEL and C1 controls
    [0x202a, 0x202e], // bidirectional embeddings and overrides
    [0x2066, 0x2069], // bidirectional isolates
    [0x200e, 0x200f], // left-to-right and right-to-left marks
    [0x061c, 0x061c], // Arabic letter mark
    [0x200b, 0x200d], // zero-width space, non-joiner, joiner
    [0x2060, 0x2064], // word joiner and invisible operators
    [0xfeff, 0xfeff], // zero-width no-break space
    [0x180e, 0x180e], // Mongolian vowel separator
    [0xe0000, 0xe007f], // tag characters
    [0x2028, 0x2029], // line and paragraph separators
  ];
  return ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
}

describe('unsafe characters, over every code point', () => {
  for (const multiline of [false, true]) {
    it(`each one is found exactly when the rule lists it, inside ordinary text (multiline: ${multiline})`, () => {
      const wrong: string[] = [];
      for (let cp = 0; cp <= 0x10ffff; cp++) {
        if (cp >= 0xd800 && cp <= 0xdfff) continue; // lone surrogates are not characters
        const found = findUnsafeCharacter(`ab${String.fromCodePoint(cp)}cd`, multiline);
        const expected = documentedUnsafe(cp, multiline);
        if ((found !== undefined) !== expected || (found && (found.codePoint !== cp || found.index !== 2)))
          wrong.push(`U+${cp.toString(16).toUpperCase().padStart(4, '0')}`);
      }
      expect(wrong).toEqual([]);
    });
  }

  it('a tag character is found after an ordinary character from beyond the first plane', () => {
    expect(findUnsafeCharacter('\u{1F600}\u{E0041}')).toMatchObject({ codePoint: 0xe0041, index: 1 });
  });
});
