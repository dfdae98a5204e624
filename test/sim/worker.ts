/** A worker thread of the hunt: runs the seed ranges it is sent and posts back their tallies. */
import { parentPort } from 'node:worker_threads';
import { runRange } from './hunt.js';

if (!parentPort) throw new Error('worker.ts runs as a worker thread');
const port = parentPort;
port.on('message', (m: { from: number; count: number; operator?: string } | 'exit') => {
  if (m === 'exit') return port.close();
  void runRange(m.from, m.count, m.operator).then((t) => port.postMessage(t));
});
