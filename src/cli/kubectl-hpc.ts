#!/usr/bin/env node
/**
 * kubectl-hpc: the kubectl plugin for HPCJobs and VirtualClusters. kubectl finds it on PATH by its name and
 * runs `kubectl hpc ...` as `kubectl-hpc ...`. Everything but the process wiring is in cli.ts.
 */
import { runCli } from './cli.js';

// A closed pipe (`kubectl hpc logs x | head`) is a normal way for output to end, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

// Ctrl-C, kill or a closed terminal ends the plugin at once, closing its connections (the operator then stops
// following a log for it), also when it was started with these signals ignored (a background job of a script).
for (const [signal, n] of [
  ['SIGINT', 2],
  ['SIGTERM', 15],
  ['SIGHUP', 1],
] as const) {
  process.once(signal, () => process.exit(128 + n));
}

process.exitCode = await runCli(process.argv.slice(2), {
  out: process.stdout,
  err: process.stderr,
  env: process.env,
});
// Exit once the output is written, not when the event loop is empty: an API call given up on by
// --request-timeout still holds its socket, and would keep the process alive for as long as the server does.
process.stdout.write('', () => process.exit());
