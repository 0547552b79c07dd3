/**
 * A TCP proxy on 127.0.0.1 in front of a broker, for network faults that a broker command cannot
 * make: `freeze()` stops forwarding bytes both ways on every connection (open ones and ones
 * accepted while frozen) WITHOUT closing anything, like a partition or a dead NAT entry; the
 * peers only find out through heartbeats. `thaw()` forwards again (a healed network: bytes held
 * back are delivered, held connection attempts go through).
 *
 * `TcpProxy.blackHole()` is the other fault: something that accepts TCP and then never answers
 * (a hung broker, a load balancer whose backend is gone). A client without a connect timeout
 * hangs on it forever.
 */
import net from 'node:net';

interface Pair {
  client: net.Socket;
  upstream?: net.Socket;
}

export class TcpProxy {
  private readonly pairs = new Set<Pair>();
  private frozen = false;
  private accepted = 0;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly target: { host: string; port: number } | undefined,
  ) {
    server.on('connection', (client) => this.onConnection(client));
  }

  /** A proxy to `target` on a free port of 127.0.0.1, or on `listenPort` (a server that appears late on a known port). */
  static start(target: { host?: string; port: number }, listenPort = 0): Promise<TcpProxy> {
    return TcpProxy.listen({ host: target.host ?? '127.0.0.1', port: target.port }, listenPort);
  }

  /** Accepts connections and never sends or forwards a byte (until `close()`). */
  static blackHole(): Promise<TcpProxy> {
    return TcpProxy.listen(undefined);
  }

  private static listen(target: { host: string; port: number } | undefined, listenPort = 0): Promise<TcpProxy> {
    return new Promise((resolve, reject) => {
      const server = net.createServer({ pauseOnConnect: true });
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: listenPort }, () => {
        server.removeListener('error', reject);
        resolve(new TcpProxy(server, (server.address() as net.AddressInfo).port, target));
      });
    });
  }

  /** `amqp://guest:guest@127.0.0.1:<proxy port>` (or another scheme/credentials). */
  url(credentials = 'guest:guest', scheme = 'amqp'): string {
    return `${scheme}://${credentials}@127.0.0.1:${this.port}`;
  }

  /** Connections accepted so far, and open right now. */
  get stats(): { accepted: number; open: number; frozen: boolean } {
    return { accepted: this.accepted, open: this.pairs.size, frozen: this.frozen };
  }

  /** Stops forwarding on every connection, now and for new ones, without closing any. */
  freeze(): void {
    this.frozen = true;
    for (const pair of this.pairs) {
      pair.client.pause();
      pair.upstream?.pause();
    }
  }

  /** Forwards again: held bytes flow, held connection attempts are connected upstream. */
  thaw(): void {
    if (!this.target) {
      return; // a black hole stays one
    }
    this.frozen = false;
    for (const pair of this.pairs) {
      if (!pair.upstream) {
        this.connectUpstream(pair);
      } else {
        pair.client.resume();
        pair.upstream.resume();
      }
    }
  }

  /** Destroys every open connection (both sides, abruptly) and keeps listening: a network blip, then reconnects succeed. */
  dropConnections(): void {
    for (const pair of [...this.pairs]) {
      this.drop(pair);
    }
  }

  /** Destroys every connection (both sides, abruptly) and stops listening. */
  async close(): Promise<void> {
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream?.destroy();
    }
    this.pairs.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onConnection(client: net.Socket): void {
    this.accepted += 1;
    const pair: Pair = { client };
    this.pairs.add(pair);
    client.on('error', () => undefined);
    client.on('close', () => this.drop(pair));
    if (this.target && !this.frozen) {
      this.connectUpstream(pair);
    }
    // Frozen or a black hole: the client stays paused (connected, never answered).
  }

  private connectUpstream(pair: Pair): void {
    const upstream = net.connect({ host: this.target!.host, port: this.target!.port });
    pair.upstream = upstream;
    upstream.on('error', () => undefined);
    upstream.on('close', () => this.drop(pair));
    upstream.once('connect', () => {
      forward(pair.client, upstream, () => this.frozen);
      forward(upstream, pair.client, () => this.frozen);
      if (!this.frozen) {
        pair.client.resume();
      } else {
        upstream.pause();
      }
    });
  }

  private drop(pair: Pair): void {
    if (!this.pairs.delete(pair)) {
      return;
    }
    pair.client.destroy();
    pair.upstream?.destroy();
  }
}

/** Copies `from` to `to` with backpressure; never resumes a frozen side. */
function forward(from: net.Socket, to: net.Socket, frozen: () => boolean): void {
  from.on('data', (chunk: Buffer) => {
    if (!to.write(chunk)) {
      from.pause();
    }
  });
  to.on('drain', () => {
    if (!frozen()) {
      from.resume();
    }
  });
  from.on('end', () => to.end());
}
