/**
 * Small helpers the validation rules share: file stems, "did you mean" suggestions and paths
 * through a graph (role includes).
 */

/** `people/alice.nguyen.yaml` -> `alice.nguyen`. */
export function stemOf(file: string): string {
  return file.replace(/^.*\//, '').replace(/\.yaml$/, '');
}

/** A path of includes from `from` to `to`, if one exists. */
export function findPath(
  from: string,
  to: string,
  next: (id: string) => readonly string[],
): string[] | undefined {
  const seen = new Set<string>();
  const walk = (id: string): string[] | undefined => {
    if (id === to) return [id];
    if (seen.has(id)) return undefined;
    seen.add(id);
    for (const n of next(id)) {
      const rest = walk(n);
      if (rest) return [id, ...rest];
    }
    return undefined;
  };
  return walk(from);
}

/** The closest known id, for "did you mean" hints. */
export function suggest(id: string, candidates: Iterable<string>): string {
  let best = '';
  let bestScore = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const score = distance(id, c);
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best || 'none defined yet';
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 8) return 99;
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = i - 1;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
