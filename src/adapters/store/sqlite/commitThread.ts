/**
 * The embedded store's commits run on a thread of their own. better-sqlite3 is synchronous: on
 * the event loop, a batch's statements and its COMMIT's fsync would stop every request for
 * their whole length. Here the event loop only encodes the batch and waits; the thread
 * (commitWorker.ts) runs it, fsync included, on the machine's other core.
 * Invariants:
 * - Batches run one after another on the thread, in the order commit() was called, while the
 *   thread holds the per-file write queue every other write of this process goes through, so the
 *   thread and the event loop's own writer connection never contend for SQLite's lock (which
 *   would block the event loop). Several batches may be queued on the thread at once.
 * - A batch resolves once COMMIT returned on the thread (synchronous=FULL): on disk, and visible
 *   to the readers only from then on.
 * - Once the store is broken (an fsync failed, here or on the event loop's writer: WalSync),
 *   no batch is handed to the thread: what it would commit chains on rows the disk may have
 *   lost, and a later recovery would drop it with them. A COMMIT the thread could not make
 *   durable (an I/O error) breaks the store in turn.
 * - If the thread dies, every batch in flight fails with StoreUnavailable and the next commit
 *   starts a new thread. A batch whose COMMIT returned just before the thread died did commit:
 *   like a lost answer from PostgreSQL, its outcome is unknown to the caller (a submit answers
 *   503 saying the order may exist; a report not recorded is caught up by reconciliation).
 */
import { Worker } from 'node:worker_threads';
import type { OutboxEvent } from '../../../ports/bus.ts';
import { StoreUnavailable, type OrderChange } from '../../../ports/store.ts';
import type { CommitRequest, CommitWorkerData } from './commitWorker.ts';
import { encode, errorFromTransfer, type TransferredError } from './transfer.ts';
import type { WriterQueue } from './writeTransactions.ts';

type Reply =
  | { readonly id: number; readonly events: OutboxEvent[] }
  | { readonly id: number; readonly error: TransferredError; readonly diskFailed?: true };

/** The store's broken latch, shared with the event loop's writer (WalSync). */
export interface DiskHealth {
  failure(): StoreUnavailable | null;
  breakWith(error: StoreUnavailable): void;
}

interface Waiting {
  resolve(events: OutboxEvent[]): void;
  reject(error: unknown): void;
}

/** A plain JavaScript entry that registers tsx in the thread, then loads the TypeScript module. */
const ENTRY = new URL('./workerEntry.mjs', import.meta.url);
const WORKER_MODULE = new URL('./commitWorker.ts', import.meta.url).href;

export class CommitThread {
  #worker: Worker | null = null;
  #ready: Promise<void> | null = null;
  readonly #waiting = new Map<number, Waiting>();
  #nextId = 1;
  #closed = false;

  constructor(
    private readonly data: CommitWorkerData,
    private readonly queue: WriterQueue,
    private readonly disk: DiskHealth,
  ) {}

  /** Starts the thread now, so the first order does not wait for it. */
  start(): Promise<void> {
    return this.#started();
  }

  async commit(changes: readonly OrderChange[]): Promise<OutboxEvent[]> {
    await this.#enter();
    try {
      // Checked once the queue is ours: the writer before us may have just found the disk failing.
      const failure = this.disk.failure();
      if (failure) throw failure;
      await this.#started();
      const worker = this.#worker!;
      const id = this.#nextId++;
      return await new Promise<OutboxEvent[]>((resolve, reject) => {
        this.#waiting.set(id, { resolve, reject });
        worker.postMessage({ id, changes: encode(changes) } satisfies CommitRequest);
      });
    } finally {
      this.#leave();
    }
  }

  /**
   * Joins the thread's hold on the write queue, taking it if there is none. Batches posted under
   * one hold queue up on the thread, which runs them in order with no pause between them; a
   * hold is not joined while another writer waits for the queue, so none is starved.
   */
  async #enter(): Promise<void> {
    while (this.#hold && this.queue.waiting() > 0) await this.#holdEnded;
    this.#inFlight += 1;
    if (!this.#hold) {
      let ended!: () => void;
      this.#holdEnded = new Promise((resolve) => (ended = resolve));
      this.#hold = this.queue.acquire().then((release) => () => {
        release();
        ended();
      });
    }
    await this.#hold;
  }

  #leave(): void {
    this.#inFlight -= 1;
    if (this.#inFlight > 0) return;
    const hold = this.#hold!;
    this.#hold = null;
    void hold.then((end) => end());
  }

  #inFlight = 0;
  #hold: Promise<() => void> | null = null;
  #holdEnded: Promise<void> = Promise.resolve();

  async close(): Promise<void> {
    this.#closed = true;
    const release = await this.queue.acquire();
    try {
      await this.#worker?.terminate();
      this.#worker = null;
    } finally {
      release();
    }
  }

  #started(): Promise<void> {
    if (this.#closed) return Promise.reject(new StoreUnavailable('the store is closed'));
    this.#ready ??= new Promise<void>((resolve, reject) => {
      const worker = new Worker(ENTRY, { workerData: { ...this.data, entry: WORKER_MODULE } });
      // A commit in flight is a promise someone awaits; the thread itself keeps no process alive.
      worker.unref();
      this.#worker = worker;
      worker.on('message', (message: Reply | { ready: true }) => {
        if ('ready' in message) return resolve();
        const waiting = this.#waiting.get(message.id);
        if (!waiting) return;
        this.#waiting.delete(message.id);
        if ('error' in message) {
          const error = errorFromTransfer(message.error);
          if (message.diskFailed && error instanceof StoreUnavailable) this.disk.breakWith(error);
          waiting.reject(error);
        } else {
          waiting.resolve(message.events);
        }
      });
      const died = (reason: string) => {
        if (this.#worker !== worker) return;
        this.#worker = null;
        this.#ready = null;
        const error = new StoreUnavailable(`SQLite commit thread ${reason}`);
        reject(error);
        for (const waiting of this.#waiting.values()) waiting.reject(error);
        this.#waiting.clear();
      };
      worker.on('error', (error) => died(`failed: ${error.message}`));
      worker.on('exit', (code) => died(`exited with code ${code}`));
    });
    // A thread that dies before anyone waits is reported to the next commit, not as an unhandled rejection.
    this.#ready.catch(() => undefined);
    return this.#ready;
  }
}
