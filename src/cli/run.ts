/** Turns thrown errors into one clear line on stderr and a non-zero exit, for every command. */
import type { Command } from 'commander';
import { DataStoreError } from '../datastore/errors.js';

export async function runMain(program: Command): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof DataStoreError) {
      process.stderr.write(`govc: ${err.message} [${err.code}]\n`);
    } else {
      process.stderr.write(`govc: ${(err as Error).stack ?? String(err)}\n`);
    }
    process.exitCode = 1;
  }
}
