/** Ids generated above the stores, so every store orders them alike. */
import { randomBytes, randomUUID } from 'node:crypto';

let lastMs = 0;
let counter = 0;

/**
 * A time-ordered event id: 12 hex digits of epoch ms, 6 of a per-process
 * counter, 8 random. Within one process ids sort in append order.
 */
export function newEventId(now = Date.now()): string {
  if (now === lastMs) counter++;
  else {
    lastMs = now;
    counter = 0;
  }
  return now.toString(16).padStart(12, '0') + (counter & 0xffffff).toString(16).padStart(6, '0') + randomBytes(4).toString('hex');
}

export function newId(): string {
  return randomUUID();
}
