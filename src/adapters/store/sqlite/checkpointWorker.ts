/**
 * The checkpoint thread's own side (see checkpointThread.ts): its own connection to the file,
 * which every `intervalMs` runs a PASSIVE checkpoint: it copies what the WAL holds into the
 * database file (fsyncing both, synchronous=FULL) without taking the write lock, so commits on
 * the other connections go on meanwhile, and the next writer starts the WAL over.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './sqliteStore.ts';

export interface CheckpointWorkerData {
  readonly file: string;
  readonly busyTimeoutMs: number;
  readonly intervalMs: number;
}

const port = parentPort;
if (!port) throw new Error('checkpointWorker.ts runs as a worker thread');
const { file, busyTimeoutMs, intervalMs } = workerData as CheckpointWorkerData;
const sqlite = openDatabase({ file, busyTimeoutMs }, 'checkpointer');

const timer = setInterval(() => {
  try {
    sqlite.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    // Busy or I/O: the WAL keeps the data; the next round tries again, and the event loop hears of it.
    port.postMessage({ failed: error instanceof Error ? error.message : String(error) });
  }
}, intervalMs);

port.on('message', (message: { stop?: true }) => {
  if (!message.stop) return;
  clearInterval(timer);
  try {
    sqlite.pragma('wal_checkpoint(PASSIVE)');
  } finally {
    sqlite.close();
    port.postMessage({ stopped: true });
  }
});
port.postMessage({ ready: true });
