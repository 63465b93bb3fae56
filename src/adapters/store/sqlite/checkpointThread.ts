/**
 * Keeps the embedded store's write-ahead log short from a thread of its own (checkpointWorker.ts).
 * SQLite's own automatic checkpoint runs inside whichever COMMIT crosses the WAL's threshold,
 * making that commit, and every order waiting on it, several milliseconds late; here no
 * connection checkpoints on its own and this thread does it every `intervalMs`, beside the
 * commits. Should it fail, the WAL grows (no data is at risk) and the failure is logged once.
 */
import { Worker } from 'node:worker_threads';
import type { CheckpointWorkerData } from './checkpointWorker.ts';

const ENTRY = new URL('./workerEntry.mjs', import.meta.url);
const WORKER_MODULE = new URL('./checkpointWorker.ts', import.meta.url).href;

export class CheckpointThread {
  #worker: Worker | null = null;
  #ready = false;
  #warned = false;

  constructor(private readonly data: Omit<CheckpointWorkerData, 'intervalMs'> & { readonly intervalMs?: number }) {}

  start(): void {
    if (this.#worker) return;
    const worker = new Worker(ENTRY, { workerData: { intervalMs: 250, ...this.data, entry: WORKER_MODULE } });
    worker.unref();
    worker.on('message', (message: { failed?: string; ready?: true }) => {
      if (message.ready) this.#ready = true;
      if (message.failed && !this.#warned) {
        this.#warned = true;
        process.emitWarning(`SQLite checkpoint failed (the WAL grows until one succeeds): ${message.failed}`);
      }
    });
    worker.on('error', (error) => process.emitWarning(`SQLite checkpoint thread stopped: ${error.message}`));
    worker.on('exit', () => {
      if (this.#worker === worker) this.#worker = null;
    });
    this.#worker = worker;
  }

  /**
   * A last checkpoint, then the thread ends. A thread still loading has checkpointed nothing
   * yet and is simply stopped: the WAL keeps every commit, and the next checkpoint copies it.
   */
  async close(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    this.#worker = null;
    if (!this.#ready) {
      await worker.terminate();
      return;
    }
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      worker.once('exit', done);
      worker.on('message', (message: { stopped?: true }) => {
        if (message.stopped) void worker.terminate();
      });
      worker.postMessage({ stop: true });
      setTimeout(() => void worker.terminate(), 5_000).unref();
    });
  }
}
