/**
 * Time-stamps the service's log lines as they arrive (its stdout/stderr, read alongside
 * ServiceProcess's own buffer), so a test can say exactly when the service noticed a fault, when
 * it reconnected and when it mailed again, to the event loop's precision instead of a poll's.
 */
import type { ServiceProcess } from './service-process.js';

export type LogKind = 'mail' | 'connected' | 'disconnected' | 'connect-failed' | 'other';

export interface LogEvent {
  /** epoch ms when the line was read */
  at: number;
  kind: LogKind;
  /** publisher / consumer for connection lines */
  role?: 'publisher' | 'consumer';
  /** the log message (the `message` field of a JSON log line, else the whole line) */
  line: string;
}

const CONNECTION_LINE = /\b([A-Za-z0-9._:-]+)-(publisher|consumer) (connected to|disconnected:|could not connect to)/;

export class LogWatch {
  readonly events: LogEvent[] = [];
  private readonly waiters = new Set<() => void>();

  /**
   * Starts watching a service process. Lines it printed before (e.g. while `ServiceProcess.start`
   * waited for readiness) are taken from its buffer and stamped with the time of this call.
   */
  attach(service: ServiceProcess): void {
    const now = Date.now();
    const earlier = service.logs.split('\n');
    const carried = earlier.pop() ?? '';
    for (const line of earlier) {
      this.events.push(classify(line, now));
    }
    for (const [index, stream] of [service.child.stdout, service.child.stderr].entries()) {
      let partial = index === 0 ? carried : '';
      stream?.on('data', (chunk: Buffer) => {
        const at = Date.now();
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          this.events.push(classify(line, at));
        }
        for (const wake of this.waiters) wake();
      });
    }
  }

  count(kind: LogKind, role?: LogEvent['role']): number {
    let n = 0;
    for (const event of this.events) {
      if (event.kind === kind && (role === undefined || event.role === role)) n += 1;
    }
    return n;
  }

  /** The first event of `kind` (and role) at or after `since`, if any yet. */
  firstAfter(kind: LogKind, since: number, role?: LogEvent['role']): LogEvent | undefined {
    return this.events.find((e) => e.kind === kind && e.at >= since && (role === undefined || e.role === role));
  }

  /** Waits for the first event of `kind` at or after `since`; rejects after `timeoutMs` naming it. */
  async next(kind: LogKind, since: number, timeoutMs: number, role?: LogEvent['role']): Promise<LogEvent> {
    const found = this.firstAfter(kind, since, role);
    if (found) {
      return found;
    }
    return await new Promise<LogEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for a '${kind}'${role ? ` (${role})` : ''} log line`));
      }, timeoutMs);
      const check = () => {
        const event = this.firstAfter(kind, since, role);
        if (event) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve(event);
        }
      };
      this.waiters.add(check);
    });
  }

  /** The last lines about connections and errors (not mails, not the one-line-per-503 warnings). */
  tail(lines = 25): string {
    return this.events
      .filter((e) => e.kind !== 'mail' && !/^Publish\w*Error: /.test(e.line))
      .slice(-lines)
      .map((e) => e.line)
      .join('\n');
  }
}

/** The message of a log line: LOG_FORMAT=json (the default) prints one JSON object per line. */
export function messageOf(line: string): string {
  if (line.startsWith('{')) {
    try {
      const parsed = JSON.parse(line) as { message?: unknown };
      if (typeof parsed.message === 'string') return parsed.message;
    } catch {
      // not JSON after all
    }
  }
  return line;
}

function classify(raw: string, at: number): LogEvent {
  const line = messageOf(raw);
  if (line.includes('mail to ')) {
    return { at, kind: 'mail', line };
  }
  const match = CONNECTION_LINE.exec(line);
  if (match) {
    const role = match[2] as 'publisher' | 'consumer';
    const kind: LogKind = match[3] === 'connected to' ? 'connected' : match[3] === 'disconnected:' ? 'disconnected' : 'connect-failed';
    return { at, kind, role, line };
  }
  return { at, kind: 'other', line };
}
