/** Ports for a disposable node: two free ones, never the shared node's, and a TCP probe. */

import net from 'node:net';

/** Ports a disposable node never takes: the shared node's and scripts/cluster.sh's. */
const PORT_RANGE = { min: 21_000, max: 31_999 };
const RESERVED_PORTS = new Set([4369, 5671, 5672, 15672, 15692, 25672, 5681, 5682, 5683, 25681, 25682, 25683]);

/** Does something accept TCP on 127.0.0.1:port? (false on refusal or after 1 s) */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Can we bind 127.0.0.1:port right now? */
export function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Two distinct free ports below the kernel's ephemeral range, never a reserved one. */
export async function pickPorts(): Promise<{ amqpPort: number; distPort: number }> {
  const picked: number[] = [];
  for (let attempt = 0; attempt < 500 && picked.length < 2; attempt++) {
    const port = PORT_RANGE.min + Math.floor(Math.random() * (PORT_RANGE.max - PORT_RANGE.min + 1));
    if (RESERVED_PORTS.has(port) || picked.includes(port)) {
      continue;
    }
    if (await canBind(port)) {
      picked.push(port);
    }
  }
  if (picked.length < 2) {
    throw new Error(`could not find two free ports in ${PORT_RANGE.min}-${PORT_RANGE.max} on 127.0.0.1`);
  }
  return { amqpPort: picked[0], distPort: picked[1] };
}
