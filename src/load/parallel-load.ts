/**
 * Loading many files on both cores. YAML parsing is most of the cost of a plan (about 0.1 ms a
 * file), so above a few thousand files half of them are parsed by a worker thread while this
 * thread parses the other half. The call stays synchronous: the main thread waits on a shared
 * flag and takes the worker's answer with receiveMessageOnPort. If the worker fails or is slow
 * to answer, its share is loaded here instead; results never depend on whether it ran.
 */
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { type FolderFileJob, type FolderFileResult, loadFolderFile } from './load-repo.js';

/** Below this many files a worker's start-up costs more than it saves. */
export const PARALLEL_THRESHOLD = 2_000;
/** The worker starts later than this thread, so it takes a little less than half. */
const WORKER_SHARE = 0.45;
const WORKER_TIMEOUT_MS = 60_000;

interface WorkerResult {
  results?: FolderFileResult[];
  error?: string;
}

/** How the last load was shared out, for the benchmark and the tests. */
export const lastParallelLoad = { files: 0, byWorker: 0, workerFailed: false };

export function loadFolderFiles(jobs: readonly FolderFileJob[]): FolderFileResult[] {
  Object.assign(lastParallelLoad, { files: jobs.length, byWorker: 0, workerFailed: false });
  if (jobs.length < PARALLEL_THRESHOLD || process.env.JML_NO_WORKERS) return jobs.map(loadFolderFile);
  const split = Math.floor(jobs.length * (1 - WORKER_SHARE));
  const mine = jobs.slice(0, split);
  const theirs = jobs.slice(split);

  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  let worker: Worker | undefined;
  try {
    worker = new Worker(new URL('./load-worker.js', import.meta.url), {
      workerData: { port: port2, signal, jobs: theirs },
      transferList: [port2],
    });
    worker.unref();
  } catch {
    lastParallelLoad.workerFailed = true;
    return jobs.map(loadFolderFile);
  }
  const local = mine.map(loadFolderFile);

  // --- wait for the worker's half, without giving up the synchronous API ----------------------
  const deadline = Date.now() + WORKER_TIMEOUT_MS;
  let answer: WorkerResult | undefined;
  while (!answer && Date.now() < deadline) {
    Atomics.wait(signal, 0, 0, 50);
    answer = receiveMessageOnPort(port1)?.message as WorkerResult | undefined;
  }
  port1.close();
  void worker.terminate();
  if (answer?.results) lastParallelLoad.byWorker = answer.results.length;
  else lastParallelLoad.workerFailed = true;
  const remote = answer?.results ?? theirs.map(loadFolderFile);
  return [...local, ...remote];
}
