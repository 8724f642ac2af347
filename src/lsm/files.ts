/** File names in an LSM directory, and durable small-file writes. */
import { closeSync, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const pad = (n: number) => String(n).padStart(6, '0');

export const tableName = (n: number) => `${pad(n)}.sst`;
export const walName = (n: number) => `${pad(n)}.wal`;
export const vlogName = (n: number) => `${pad(n)}.vlog`;
export const manifestName = (n: number) => `MANIFEST-${pad(n)}`;
export const CURRENT = 'CURRENT';
export const LOCK = 'LOCK';

export type FileKind = 'table' | 'wal' | 'vlog' | 'manifest' | 'temp';

export function parseName(name: string): { kind: FileKind; number: number } | undefined {
  let m = /^(\d{6,})\.(sst|wal|vlog)$/.exec(name);
  if (m) return { kind: ({ sst: 'table', wal: 'wal', vlog: 'vlog' } as const)[m[2] as 'sst' | 'wal' | 'vlog'], number: Number(m[1]) };
  m = /^MANIFEST-(\d{6,})$/.exec(name);
  if (m) return { kind: 'manifest', number: Number(m[1]) };
  if (name.endsWith('.tmp')) return { kind: 'temp', number: 0 };
  return undefined;
}

export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces a file atomically: write a temp file, fsync it, rename over, fsync the directory. */
export function writeFileAtomic(dir: string, name: string, data: string | Buffer): void {
  const tmp = join(dir, `${name}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, name));
  syncDir(dir);
}
