// The SQLite WAL checkpointer's thread (see WalCheckpointer.ts). Plain
// JavaScript: a worker thread gets no TypeScript loader of its own.
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';

const db = new BetterSqlite3(workerData.file);
// A PASSIVE checkpoint never waits for a lock; the timeout only covers opening.
db.pragma(`busy_timeout = ${workerData.busyTimeoutMs}`);

function checkpoint() {
  try {
    // [{ busy, log, checkpointed }]: frames in the WAL, and how many of them are now in the database file.
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ type: 'checkpointed', log: result.log, checkpointed: result.checkpointed });
  } catch (error) {
    // A full disk or an I/O error: said, and tried again at the next tick.
    parentPort.postMessage({ type: 'failed', code: error?.code ?? 'UNKNOWN', message: String(error?.message ?? error) });
  }
}

const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on('message', (message) => {
  if (message !== 'close') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
parentPort.postMessage({ type: 'ready' });
