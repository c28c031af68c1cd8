/**
 * The Node range package.json promises is true for everything `npm ci` installs to run jml: the
 * lowest Node we claim satisfies every runtime dependency's own `engines.node`, so `npm ci` on that
 * Node never warns and never installs a package that refuses to run there.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
};
const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { dev?: boolean; optional?: boolean; engines?: { node?: string } }>;
};

describe('Node engine range', () => {
  it('the lowest Node we claim satisfies every runtime dependency', () => {
    const lowest = semver.minVersion(pkg.engines.node);
    expect(lowest?.version).toMatch(/^20\./);
    const refused = Object.entries(lock.packages)
      .filter(([name, p]) => name && !p.dev && p.engines?.node)
      .filter(([, p]) => !semver.satisfies(lowest!, p.engines!.node!, { includePrerelease: true }))
      .map(([name, p]) => `${name.replace(/^.*node_modules\//, '')} needs Node ${p.engines!.node}`);
    expect(refused).toEqual([]);
  });
});
