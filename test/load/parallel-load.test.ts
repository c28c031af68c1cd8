import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRepository } from '../../src/load/load-repo.js';
import { lastParallelLoad, PARALLEL_THRESHOLD } from '../../src/load/parallel-load.js';
import { locate } from '../../src/load/source.js';

const base = path.resolve(import.meta.dirname, '../fixtures/validate/base');

function bigRepo(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'jml-parallel-'));
  cpSync(base, root, { recursive: true });
  for (let i = 0; i < PARALLEL_THRESHOLD + 50; i++) {
    const id = `gen.p${String(i).padStart(5, '0')}`;
    writeFileSync(
      path.join(root, 'people', `${id}.yaml`),
      [
        `id: ${id}`,
        `name: Person ${i}`,
        `email: ${id}@example.com`,
        'department: Engineering',
        'employment:',
        '  start: 2024-01-02',
        'roles:',
        '  - { role: employee, from: 2024-01-02 }',
        '',
      ].join('\n'),
    );
  }
  // Broken files at the far end, which the worker loads.
  writeFileSync(path.join(root, 'people', 'zz.bad.yaml'), 'id: zz.bad\nname: [unclosed\n');
  writeFileSync(path.join(root, 'people', 'zz.typo.yaml'), 'id: zz.typo\nnmae: X\n');
  return root;
}

describe('loading many files on two threads', () => {
  afterEach(() => {
    delete process.env.JML_NO_WORKERS;
  });

  it('gives exactly the same model and diagnostics as loading on one thread', () => {
    const root = bigRepo();
    const parallel = loadRepository(root);
    expect(lastParallelLoad.workerFailed).toBe(false);
    expect(lastParallelLoad.byWorker).toBeGreaterThan(PARALLEL_THRESHOLD * 0.4);
    process.env.JML_NO_WORKERS = '1';
    const serial = loadRepository(root);
    expect(parallel.repo.people.length).toBe(serial.repo.people.length);
    expect(parallel.repo.people.map((p) => p.value)).toEqual(serial.repo.people.map((p) => p.value));
    expect(parallel.diagnostics).toEqual(serial.diagnostics);
    expect(parallel.diagnostics.map((d) => `${d.file}:${d.line} ${d.rule}`)).toContain(
      'people/zz.typo.yaml:2 unknown-field',
    );
    expect([...parallel.repo.broken.people]).toEqual(expect.arrayContaining(['zz.bad', 'zz.typo']));
  });

  it('keeps line numbers for values loaded by the worker', () => {
    const root = bigRepo();
    const { repo } = loadRepository(root);
    const last = repo.people.find(
      (p) => p.value.id === `gen.p${String(PARALLEL_THRESHOLD + 49).padStart(5, '0')}`,
    )!;
    expect(locate(last.src, ['roles', 0, 'role']).line).toBe(8);
    expect(locate(last.src, ['employment', 'start']).line).toBe(6);
  });
});
