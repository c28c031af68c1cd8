/**
 * The one order for output: every list the engine writes (a plan's changes, diagnostics,
 * approvals, CODEOWNERS, evidence, HR events) is sorted with {@link byCodePoint}, so that the
 * same inputs give the same bytes on every machine.
 *
 * Never `localeCompare` or `Intl.Collator`: their order depends on the locale and the ICU data
 * of the machine that runs the engine (case, accents and punctuation are weighed differently),
 * so a plan made on a laptop and checked in CI could differ. biome.json's plugin
 * lint/no-locale-compare.grit refuses them in src/.
 */

/**
 * Orders two strings by their UTF-16 code units (JavaScript's `<`), the same on every machine
 * and in every locale: upper case before lower case, `~` after letters. For text without
 * characters above U+FFFF (ids, logins, emails, paths, dates) this is Unicode code-point order.
 */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
