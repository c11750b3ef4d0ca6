/**
 * Worker ids, unique among all the workers one process knows: its own
 * (WorkerPool) and those of media hosts (RemoteWorker), which share one
 * pool. A media host's own numbering cannot be used for the latter: two
 * hosts both have a worker 0.
 */
let next = 0;

export function allocateWorkerId(): number {
  return next++;
}
