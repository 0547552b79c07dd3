import { createServer } from 'node:net';

/** A TCP port nothing listens on right now (the OS picks it), as a string for env vars. */
export async function freePort(): Promise<string> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(String(port)));
    });
  });
}
