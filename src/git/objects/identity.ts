/** `Name <email> 1700000000 +0200`: the author, committer and tagger lines. */
export interface Identity {
  name: string;
  email: string;
  /** Seconds since the epoch. */
  timestamp: number;
  /** As written, e.g. `+0200`. */
  timezone: string;
  /** The line as found, kept only when it is not in the canonical shape above. */
  raw?: string;
}

const CANONICAL = /^(.*?) <([^<>]*)> (-?\d+) ([+-]\d{4})$/;

export function parseIdentity(line: string): Identity {
  const m = CANONICAL.exec(line);
  if (m) {
    const parsed = { name: m[1], email: m[2], timestamp: Number(m[3]), timezone: m[4] };
    if (formatIdentity(parsed) === line) return parsed;
  }
  // Lenient, like git: the email is between the first < and the following >, the date follows.
  const lt = line.indexOf('<');
  const gt = line.indexOf('>', lt + 1);
  const name = lt < 0 ? line.trim() : line.slice(0, lt).trim();
  const email = lt < 0 || gt < 0 ? '' : line.slice(lt + 1, gt);
  const rest = gt < 0 ? '' : line.slice(gt + 1).trim();
  const dm = /^(-?\d+)(?:\s+([+-]\d+))?/.exec(rest);
  return { name, email, timestamp: dm ? Number(dm[1]) : 0, timezone: dm?.[2] ?? '+0000', raw: line };
}

export function formatIdentity(who: Identity): string {
  return who.raw ?? `${who.name} <${who.email}> ${who.timestamp} ${who.timezone}`;
}
