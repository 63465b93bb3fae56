/**
 * The commit thread's own side (see commitThread.ts): a connection to the database file of its
 * own, with synchronous=FULL, that runs each batch the event loop sends it through the same
 * commit body as every store (commitBatch.ts) and answers with the stream events or the error.
 * It does nothing else: the event loop's write queue hands it one batch at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { StoreUnavailable, type OrderChange } from '../../../ports/store.ts';
import { commitBatch } from '../commitBatch.ts';
import { compileOnly, immediateStatements, type Answer } from '../statements.ts';
import { classifySqliteError, immediately, openDatabase } from './sqliteStore.ts';
import { decode, errorToTransfer } from './transfer.ts';
import { StatementCache } from './writeTransactions.ts';

export interface CommitWorkerData {
  readonly file: string;
  readonly busyTimeoutMs: number;
}

export interface CommitRequest {
  readonly id: number;
  readonly changes: unknown;
}

const port = parentPort;
if (!port) throw new Error('commitWorker.ts runs as a worker thread');
const { file, busyTimeoutMs } = workerData as CommitWorkerData;
const sqlite = openDatabase({ file, busyTimeoutMs }, 'committer');
const statements = new StatementCache(sqlite);
const build = compileOnly('sqlite');

function execute(sql: string, parameters: readonly unknown[]): Answer<unknown> {
  const statement = statements.prepare(sql);
  if (statement.reader) return { rows: statement.all(parameters as unknown[]), changed: 0n };
  return { rows: [], changed: BigInt(statement.run(parameters as unknown[]).changes) };
}

/**
 * One batch in a BEGIN IMMEDIATE transaction on this thread's own connection, its statements
 * run straight on better-sqlite3. No fsync of its own to wait for: COMMIT itself fsyncs (FULL).
 */
const commit = (changes: readonly OrderChange[]) => immediately(sqlite, async () => {
  const st = immediateStatements('sqlite', build, execute);
  const events = await commitBatch(st, changes);
  await st.settle();
  return events;
});

/**
 * Set by the first I/O error: a COMMIT whose fsync failed may still be found in the WAL by a
 * later recovery, and a page the kernel could not write may be gone, so nothing more is
 * committed on top of it (the event loop breaks the whole store on hearing of it).
 */
let diskFailure: StoreUnavailable | null = null;

function failedOnDisk(error: unknown): StoreUnavailable | null {
  if (!(error instanceof Database.SqliteError) || !error.code.startsWith('SQLITE_IOERR')) return null;
  return new StoreUnavailable(
    `SQLite could not write to disk (${error.code}: ${error.message}); restart ordergate so SQLite recovers from what is on disk`, { cause: error });
}

port.on('message', (request: CommitRequest) => {
  if (diskFailure) {
    port.postMessage({ id: request.id, error: errorToTransfer(diskFailure), diskFailed: true });
    return;
  }
  commit(decode<OrderChange[]>(request.changes)).then(
    (events) => port.postMessage({ id: request.id, events }),
    (error: unknown) => {
      diskFailure ??= failedOnDisk(error);
      const reported = diskFailure ?? classifySqliteError(error);
      port.postMessage({ id: request.id, error: errorToTransfer(reported), ...(diskFailure ? { diskFailed: true } : {}) });
    },
  );
});
port.postMessage({ ready: true });
