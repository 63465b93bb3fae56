/**
 * The commit thread's own side (see commitThread.ts): a connection to the database file of its
 * own, with synchronous=FULL, that runs each batch the event loop sends it through the same
 * commit body as every store (commitBatch.ts) and answers with the stream events or the error.
 * It does nothing else: the event loop's write queue hands it one batch at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { OrderChange } from '../../../ports/store.ts';
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

port.on('message', (request: CommitRequest) => {
  commit(decode<OrderChange[]>(request.changes)).then(
    (events) => port.postMessage({ id: request.id, events }),
    (error: unknown) => port.postMessage({ id: request.id, error: errorToTransfer(classifySqliteError(error)) }),
  );
});
port.postMessage({ ready: true });
