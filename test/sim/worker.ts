/** A worker thread of the hunt: runs the seed ranges it is sent and posts back their tallies. */
import { parentPort } from 'node:worker_threads';
import { runRange, type HuntOptions } from './hunt.js';

if (!parentPort) throw new Error('worker.ts runs as a worker thread');
const port = parentPort;
port.on('message', (m: { from: number; count: number; hunt: HuntOptions } | 'exit') => {
  if (m === 'exit') return port.close();
  void runRange(m.from, m.count, m.hunt).then((t) => port.postMessage(t));
});
