/** Command-line flags of the bench scripts: `--name value`, `--flag`. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = process.argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value`);
  return v;
}

export function num(name: string, fallback: number, min = 1): number {
  const v = Number(arg(name, String(fallback)));
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return v;
}

export const flag = (name: string): boolean => process.argv.includes(`--${name}`);
