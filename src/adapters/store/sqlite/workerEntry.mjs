// The store's threads (commit, checkpoint) start here: plain JavaScript that teaches the thread TypeScript (tsx),
// then loads the thread's own module. A worker does not inherit its parent's module loader.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
