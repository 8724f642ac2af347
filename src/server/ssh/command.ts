/**
 * The command an SSH client asks to run, as git sends it:
 *   git-upload-pack '/demo.git'      (ssh://host/demo.git)
 *   git-receive-pack 'demo.git'      (host:demo.git, scp-like)
 *   git upload-pack '~/demo'         (some clients use the two-word form)
 * The path is shell-quoted by the client (single quotes, with ' and ! escaped
 * as git's sq_quote does); one leading slash or ~/ and a trailing .git or /
 * are dropped, leaving the repository's name.
 */
export type GitService = 'git-upload-pack' | 'git-receive-pack';

export type ParsedCommand =
  | { ok: true; service: GitService; repository: string }
  | { ok: false; message: string };

const SERVICES: readonly string[] = ['git-upload-pack', 'git-receive-pack'];
const NAME = /^[A-Za-z0-9._-]+$/;

export function parseGitCommand(command: string): ParsedCommand {
  const words = shellWords(command);
  if (!words) return { ok: false, message: `cannot parse the command ${JSON.stringify(command)}: unbalanced quotes` };
  let [program = '', ...args] = words;
  if (program === 'git' && args.length > 0) program = `git-${args.shift()}`;
  if (!SERVICES.includes(program)) {
    const known = program === 'git-upload-archive' ? 'git archive --remote is not served' : `${JSON.stringify(program)} is not a git command this server runs`;
    return { ok: false, message: `${known}; only git-upload-pack and git-receive-pack (git clone, fetch, pull, push, ls-remote) are served over SSH` };
  }
  const option = args.find((a) => a.startsWith('-'));
  if (option) return { ok: false, message: `${program} takes no options over SSH; got ${JSON.stringify(option)}` };
  if (args.length !== 1) return { ok: false, message: `${program} takes one repository path; got ${args.length}` };
  const repository = repositoryName(args[0]);
  if (!repository) return { ok: false, message: `${JSON.stringify(args[0])} does not name a repository: use ssh://host/<name>.git or host:<name>.git` };
  return { ok: true, service: program as GitService, repository };
}

function repositoryName(path: string): string | undefined {
  let name = path.replace(/^~?\//, '').replace(/\/+$/, '');
  if (name.endsWith('.git') && name.length > 4) name = name.slice(0, -4);
  return NAME.test(name) && name !== '.' && name !== '..' ? name : undefined;
}

/** Splits a POSIX shell command line into words (quotes and backslashes only; no expansion). */
export function shellWords(line: string): string[] | undefined {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return undefined;
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let text = '';
      for (i++; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1])) i++;
        text += line[i];
      }
      if (i >= line.length) return undefined;
      word = (word ?? '') + text;
    } else if (c === '\\') {
      if (i + 1 >= line.length) return undefined;
      word = (word ?? '') + line[++i];
    } else if (c === ' ' || c === '\t' || c === '\n') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}
