/** Many keep-alive HTTP connections held open: each makes one request, then idles; an active share keeps asking. */
import { connect, type Socket } from 'node:net';

export interface HeldSockets {
  /** Connections that got their first response. */
  opened: number;
  failed: number;
  /** Still open right now. */
  open(): number;
  /** Responses received by the active share since `startActive`. */
  activeResponses(): number;
  startActive(share: number, everyMs: number): void;
  close(): void;
}

const OPEN_AT_ONCE = 200;

/** Connects `n` sockets to host:port, each sending `GET path` with keep-alive and waiting for the answer. */
export async function holdSockets(host: string, port: number, path: string, n: number, onProgress?: (opened: number) => void): Promise<HeldSockets> {
  const sockets: Socket[] = [];
  let opened = 0;
  let failed = 0;
  let responses = 0;
  let closedCount = 0;
  const request = `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: keep-alive\r\n\r\n`;
  const openOne = () =>
    new Promise<void>((resolve) => {
      const s = connect({ host, port });
      let first = true;
      s.setNoDelay(true);
      s.on('data', (d) => {
        // Count responses by their status lines (bodies here are small JSON, one chunk each).
        const answers = d.toString('latin1').split('HTTP/1.1 ').length - 1;
        if (first && answers > 0) {
          first = false;
          opened++;
          sockets.push(s);
          resolve();
        } else responses += answers;
      });
      s.on('error', () => undefined);
      s.on('close', () => {
        if (first) {
          failed++;
          first = false;
          resolve();
        } else closedCount++;
      });
      s.write(request);
    });
  for (let i = 0; i < n; i += OPEN_AT_ONCE) {
    await Promise.all(Array.from({ length: Math.min(OPEN_AT_ONCE, n - i) }, openOne));
    onProgress?.(opened);
  }
  let timer: NodeJS.Timeout | undefined;
  return {
    opened,
    failed,
    open: () => sockets.filter((s) => !s.destroyed && !s.readableEnded).length,
    activeResponses: () => responses,
    startActive(share, everyMs) {
      responses = 0;
      const active = sockets.slice(0, Math.floor(sockets.length * share));
      let k = 0;
      // Spread the active sockets' requests over the period instead of a burst each tick.
      const perTick = Math.max(1, Math.ceil(active.length / (everyMs / 10)));
      timer = setInterval(() => {
        for (let j = 0; j < perTick && active.length; j++) {
          const s = active[k++ % active.length];
          if (!s.destroyed) s.write(request);
        }
      }, 10);
    },
    close() {
      if (timer) clearInterval(timer);
      for (const s of sockets) s.destroy();
      void closedCount;
    },
  };
}
