#!/usr/bin/env node
/** The govc command. Each group of subcommands lives in its own file. */
import { Command } from 'commander';
import { registerBenchCommand } from './bench-command.js';
import { registerDatastoreCommands } from './datastore-commands.js';
import { registerRepoCommands } from './repo-commands.js';
import { registerServeCommand } from './serve-command.js';
import { runMain } from './run.js';

const program = new Command('govc')
  .description('Git storage on any database: serve, import, export, migrate and benchmark git data on SQLite, PostgreSQL, Redis, RocksDB, LMDB and more')
  .version('0.1.0')
  .showHelpAfterError();

registerServeCommand(program);
registerDatastoreCommands(program);
registerRepoCommands(program);
registerBenchCommand(program);

await runMain(program);
