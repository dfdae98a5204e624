#!/usr/bin/env node
/**
 * Entry point: flags/env -> configuration -> the manager (controllers, probes, metrics, leader election).
 */
import { ConfigError, parseConfig, usage } from './config.js';
import { startManager } from './manager.js';

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(usage());
    return;
  }
  let config;
  try {
    config = parseConfig(process.argv.slice(2));
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`hpc-operator: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
  await startManager(config);
}

main().catch((e: unknown) => {
  console.error('hpc-operator: fatal:', e);
  process.exit(1);
});
