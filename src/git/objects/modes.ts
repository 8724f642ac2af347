/** Tree entry modes. Trees store them as octal text without leading zeros ("40000"). */
export const MODE = {
  tree: '40000',
  file: '100644',
  executable: '100755',
  symlink: '120000',
  gitlink: '160000',
} as const;

export type EntryKind = 'tree' | 'file' | 'executable' | 'symlink' | 'gitlink';

/** What an entry is, from its mode (lenient like git: any 100xxx is a file, 0100644 too). */
export function entryKind(mode: string): EntryKind {
  const n = parseInt(mode, 8);
  switch (n & 0o170000) {
    case 0o040000:
      return 'tree';
    case 0o120000:
      return 'symlink';
    case 0o160000:
      return 'gitlink';
    default:
      return (n & 0o111) !== 0 ? 'executable' : 'file';
  }
}

export function isTreeMode(mode: string): boolean {
  return entryKind(mode) === 'tree';
}

/** Six octal digits, as git prints them (`040000`). */
export function formatMode(mode: string): string {
  return parseInt(mode, 8).toString(8).padStart(6, '0');
}
