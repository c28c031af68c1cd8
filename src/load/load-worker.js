// Worker thread for parallel-load.ts: loads its share of the folder files and answers once.
// Plain JavaScript so that it can register the TypeScript loader before importing the engine.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { port, signal, jobs } = workerData;
try {
  const { loadFolderFile } = await import('./load-repo.ts');
  // Results are plain data once loaded: the syntax tree is dropped, the text travels.
  port.postMessage({ results: jobs.map((job) => loadFolderFile(job)) });
} catch (e) {
  port.postMessage({ error: e instanceof Error ? e.message : String(e) });
} finally {
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}
