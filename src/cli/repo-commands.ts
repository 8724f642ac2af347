/** `govc repo ...`: import, export, log, diff, branches, commit queries and statistics. */
import { InvalidArgumentError as CommanderArgumentError, type Command } from 'commander';
import { InvalidArgumentError } from '../datastore/errors.js';
import {
  createBranch,
  deleteBranch,
  diffTrees,
  exportRepository,
  importRepository,
  isFastForward,
  listBranches,
  logCommits,
  ObjectReader,
  queryCommits,
  quotePath,
  repositoryStats,
  requireRepository,
  resolveRevision,
  updateCommitIndex,
  pruneCommitIndex,
  deltifyRepository,
} from '../git/index.js';
import { progressBar } from './progress-bar.js';
import { storeOptions, withStore, type StoreFlags as StoreFlag } from './store-option.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CommanderArgumentError('expected a positive integer');
  return n;
}

function date(value: string): Date {
  const d = /^\d+$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
  if (Number.isNaN(d.getTime())) throw new CommanderArgumentError('expected a date (ISO 8601 or epoch seconds)');
  return d;
}

function out(line: string | Buffer): void {
  process.stdout.write(line);
}

export function registerRepoCommands(program: Command): void {
  const repo = program.command('repo').description('git repositories in a store: import, export, log, diff, branches, queries');

  repo
    .command('import <path>')
    .description('import a git repository from disk (objects, refs, HEAD); importing again adds only what is new')
    .option('-n, --name <name>', 'repository name in the store (default: the directory name)')
    .option('--no-index', 'skip building the commit index used by `repo commits` and `repo stats`; build it later with `repo index` (the first ref move, a push say, indexes what it makes reachable)')
    .action(async (path: string, opts: StoreFlag & { name?: string; index: boolean }) =>
      withStore(opts, async (store) => {
        const bar = progressBar();
        const started = performance.now();
        try {
          const r = await importRepository(store, path, { name: opts.name, index: opts.index, onProgress: bar.onProgress });
          bar.stop();
          const secs = ((performance.now() - started) / 1000).toFixed(2);
          out(
            `imported ${path} as ${r.repository.name} (${r.created ? 'new' : 'existing'} repository ${r.repository.id}): ` +
              `${r.objectsAdded} of ${r.objectsSeen} objects added, ${r.refsChanged} refs changed, ${r.commitsIndexed} commits indexed in ${secs}s\n`,
          );
          if (!opts.index) {
            process.stderr.write(`note: no commit index built; run \`govc repo index ${r.repository.name}\` before serving it, or its first push indexes the whole history\n`);
          }
        } finally {
          bar.stop();
        }
      }),
    );

  repo
    .command('export <name> <dir>')
    .description('write a repository as a bare git repository (one pack + idx, packed-refs, HEAD)')
    .action(async (name: string, dir: string, opts: StoreFlag) =>
      withStore(opts, async (store) => {
        const bar = progressBar();
        try {
          const r = await exportRepository(store, name, dir, { onProgress: bar.onProgress });
          bar.stop();
          out(`exported ${name} to ${dir}: ${r.objects} objects, ${r.refs} refs (${r.packPath})\n`);
        } finally {
          bar.stop();
        }
      }),
    );

  repo
    .command('log <name> [ref]')
    .description('commits reachable from a ref (default HEAD), in git log order')
    .option('-n, --limit <n>', 'show at most n commits', positiveInt)
    .option('--format <format>', 'hash (ids only) or oneline (id and summary)', 'oneline')
    .action(async (name: string, ref: string | undefined, opts: StoreFlag & { limit?: number; format: string }) =>
      withStore(opts, async (store) => {
        if (opts.format !== 'hash' && opts.format !== 'oneline') throw new InvalidArgumentError(`--format must be hash or oneline; got ${opts.format}`);
        const repository = await requireRepository(store, name);
        const reader = new ObjectReader(store);
        const start = await reader.peelToCommit(await resolveRevision(store, repository.id, ref ?? 'HEAD'));
        for await (const { id, commit } of logCommits(reader, [start], { limit: opts.limit })) {
          out(opts.format === 'hash' ? `${id}\n` : `${id} ${(commit.message ?? '').split('\n')[0]}\n`);
        }
      }),
    );

  repo
    .command('diff <name> <a> <b>')
    .description('files that differ between two commits or trees (like git diff --name-status --no-renames)')
    .option('--name-status', 'status letter and path per file (the only output format)')
    .option('--no-quote-path', 'print non-ASCII path bytes as they are (git -c core.quotepath=off)')
    .action(async (name: string, a: string, b: string, opts: StoreFlag & { quotePath: boolean }) =>
      withStore(opts, async (store) => {
        const repository = await requireRepository(store, name);
        const reader = new ObjectReader(store);
        const ta = await reader.peelToTree(await resolveRevision(store, repository.id, a));
        const tb = await reader.peelToTree(await resolveRevision(store, repository.id, b));
        for await (const change of diffTrees(reader, ta, tb)) {
          out(Buffer.concat([Buffer.from(`${change.status}\t`), quotePath(change.path, opts.quotePath), Buffer.from('\n')]));
        }
      }),
    );

  const branch = repo.command('branch').description('list, create and delete branches; check fast-forwards');
  branch
    .command('list <name>')
    .action(async (name: string, opts: StoreFlag) =>
      withStore(opts, async (store) => {
        const repository = await requireRepository(store, name);
        for (const b of await listBranches(store, repository.id)) out(`${b.id} ${b.name}\n`);
      }),
    );
  branch
    .command('create <name> <branch> [start]')
    .description('create a branch at a revision (default HEAD)')
    .option('-f, --force', 'move the branch if it exists')
    .action(async (name: string, branchName: string, start: string | undefined, opts: StoreFlag & { force?: boolean }) =>
      withStore(opts, async (store) => {
        const repository = await requireRepository(store, name);
        const b = await createBranch(store, repository.id, branchName, start ?? 'HEAD', { force: opts.force });
        out(`${b.ref} -> ${b.id}\n`);
      }),
    );
  branch
    .command('delete <name> <branch>')
    .action(async (name: string, branchName: string, opts: StoreFlag) =>
      withStore(opts, async (store) => {
        const repository = await requireRepository(store, name);
        const was = await deleteBranch(store, repository.id, branchName);
        out(`deleted ${branchName} (was ${was})\n`);
      }),
    );
  branch
    .command('ff-check <name> <from> <to>')
    .description('exit 0 and print "fast-forward" when <from> is an ancestor of <to>, else exit 1')
    .action(async (name: string, from: string, to: string, opts: StoreFlag) =>
      withStore(opts, async (store) => {
        const repository = await requireRepository(store, name);
        const ff = await isFastForward(store, repository.id, from, to);
        out(ff ? 'fast-forward\n' : 'not a fast-forward\n');
        if (!ff) process.exitCode = 1;
      }),
    );

  repo
    .command('commits <name>')
    .description('query the commit index: by author, committer date range and path; newest first')
    .option('--author <who>', 'author email or name (case-insensitive)')
    .option('--since <date>', 'committer date on or after (ISO 8601 or epoch seconds)', date)
    .option('--until <date>', 'committer date before', date)
    .option('--path <path>', 'a file or directory the commits change')
    .option('-n, --limit <n>', 'at most n commits (default 100)', positiveInt)
    .option('--json', 'one JSON object per line')
    .action(async (name: string, opts: StoreFlag & { author?: string; since?: Date; until?: Date; path?: string; limit?: number; json?: boolean }) =>
      withStore(opts, async (store) => {
        const repository = await requireRepository(store, name);
        const rows = await queryCommits(store, repository.id, { author: opts.author, since: opts.since, until: opts.until, path: opts.path, limit: opts.limit });
        for (const r of rows) out(opts.json ? JSON.stringify(r) + '\n' : `${r.id} ${new Date(r.committer.timestamp * 1000).toISOString()} ${r.author.name} <${r.author.email}> ${r.summary}\n`);
      }),
    );

  repo
    .command('stats <name>')
    .description('commits, branches, tags and contributors of a repository')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: StoreFlag & { json?: boolean }) =>
      withStore(opts, async (store) => {
        const repository = await requireRepository(store, name);
        const s = await repositoryStats(store, repository.id);
        out(opts.json ? JSON.stringify(s) + '\n' : `commits ${s.commits}\nbranches ${s.branches}\ntags ${s.tags}\ncontributors ${s.contributors}\n`);
      }),
    );

  repo
    .command('gc <name>')
    .description('find deltas for objects kept whole (pushed one by one, put through the API) and deflate entries of older stores; objects others build on stay as they are')
    .option('--dry-run', 'say what would change, change nothing')
    .option('--json', 'print one JSON object')
    .action(async (name: string, opts: StoreFlag & { dryRun?: boolean; json?: boolean }) =>
      withStore(opts, async (store) => {
        const repository = await requireRepository(store, name);
        const bar = progressBar();
        try {
          const r = await deltifyRepository(store, repository.id, { dryRun: opts.dryRun, onProgress: bar.onProgress });
          bar.stop();
          const verb = opts.dryRun ? 'would rewrite' : 'rewrote';
          out(
            opts.json
              ? JSON.stringify({ repository: name, dryRun: opts.dryRun === true, ...r }) + '\n'
              : `${name}: ${r.objects} objects; ${verb} ${r.deltified} as deltas and deflated ${r.deflated}: ${r.bytesBefore} -> ${r.bytesAfter} bytes\n`,
          );
        } finally {
          bar.stop();
        }
      }),
    );

  repo
    .command('index <name>')
    .description('index what the refs reach and the commit index lacks (after an import with --no-index, or an index an older govc left); pushes, imports and branch commands index as they move refs')
    .option('--prune', 'first remove the rows of commits no ref reaches any more (after a force-push or a deleted branch)')
    .action(async (name: string, opts: StoreFlag & { prune?: boolean }) =>
      withStore(opts, async (store) => {
        const repository = await requireRepository(store, name);
        const bar = progressBar();
        try {
          if (opts.prune) out(`removed ${await pruneCommitIndex(store, repository.id)} commits no ref reaches\n`);
          const n = await updateCommitIndex(store, repository.id, { onProgress: bar.onProgress });
          bar.stop();
          out(`indexed ${n} new commits\n`);
        } finally {
          bar.stop();
        }
      }),
    );

  // every repo command works on one store, chosen as every govc command chooses it
  for (const command of [...repo.commands, ...branch.commands]) if (command !== branch) storeOptions(command);
}
