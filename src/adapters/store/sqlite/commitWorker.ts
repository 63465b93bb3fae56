/**
 * The commit thread's own side (see commitThread.ts): a connection to the database file of its
 * own, with synchronous=FULL, that runs each batch the event loop sends it through the same
 * commit body as every store (commitBatch.ts) and answers with the stream events or the error.
 * It does nothing else: the event loop's write queue hands it one batch at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Kysely } from 'kysely';
import type { OrderChange } from '../../../ports/store.ts';
import { commitBatch } from '../commitBatch.ts';
import { withStatements } from '../hotStatements.ts';
import type { StoreSchema } from '../schema.ts';
import { classifySqliteError, openDatabase } from './sqliteStore.ts';
import { decode, errorToTransfer } from './transfer.ts';
import { RoutedSqliteDialect, WalSync, WriterQueue } from './writeTransactions.ts';

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
// One connection for everything, and no fsync of its own to wait for: COMMIT itself fsyncs (FULL).
const db = new Kysely<StoreSchema>({
  dialect: new RoutedSqliteDialect({ writer: sqlite, reader: sqlite, queue: new WriterQueue(), wal: new WalSync(null) }),
});

port.on('message', (request: CommitRequest) => {
  db.transaction().execute((trx) => withStatements(trx, 'sqlite', (st) => commitBatch(st, decode<OrderChange[]>(request.changes)))).then(
    (events) => port.postMessage({ id: request.id, events }),
    (error: unknown) => port.postMessage({ id: request.id, error: errorToTransfer(classifySqliteError(error)) }),
  );
});
port.postMessage({ ready: true });
