/**
 * A cap on open connections that slow clients cannot use to starve others.
 * Node's own `server.maxConnections` refuses every new connection at the
 * cap, so a thousand sockets that never send a request would lock everyone
 * out until they time out. Here, at the cap, a new connection closes the
 * oldest one that has no request in progress (one still dripping its
 * headers, or an idle keep-alive); only when every connection is busy with a
 * request is the new one refused.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export function capConnections(server: Server, max: number): void {
  const open = new Set<Socket>();
  /** Connections with no request in progress, oldest first (a Set keeps insertion order). */
  const waiting = new Set<Socket>();
  const forget = (socket: Socket) => {
    open.delete(socket);
    waiting.delete(socket);
  };

  server.on('connection', (socket: Socket) => {
    if (open.size >= max) {
      const oldest: Socket | undefined = waiting.values().next().value;
      if (!oldest) return void socket.destroy();
      forget(oldest);
      oldest.destroy();
    }
    open.add(socket);
    waiting.add(socket);
    socket.once('close', () => forget(socket));
  });

  server.on('request', (req, res) => {
    const socket = req.socket;
    waiting.delete(socket);
    // Back among the waiting once answered, as the newest: a keep-alive client that just finished is the last to go.
    res.once('close', () => {
      if (open.has(socket) && !socket.destroyed) waiting.add(socket);
    });
  });
}
