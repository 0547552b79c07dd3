import { describe, expect, it, jest } from '@jest/globals';
import type { DeadLetterAdmin } from '../rabbitmq/dlq/dead-letter-admin.js';
import { EXIT_OK, EXIT_USAGE, runDlqCommand } from './dlq-command.js';

function fakeAdmin(): DeadLetterAdmin {
  return {
    depth: jest.fn(async (queue: string) => ({ queue, dlq: `${queue}.dlq`, messages: 4 })),
    purge: jest.fn(async (queue: string) => ({ queue, dlq: `${queue}.dlq`, messages: 4 })),
    replay: jest.fn(async (queue: string) => ({ queue, dlq: `${queue}.dlq`, replayed: 3 })),
    list: jest.fn(async (queues: string[]) => queues.map((queue) => ({ queue, dlq: `${queue}.dlq`, messages: 0 }))),
    unrouted: jest.fn(async (exchange: string) => ({ exchange, queue: `${exchange}.unrouted`, messages: 0 })),
  } as unknown as DeadLetterAdmin;
}

function context(admin: DeadLetterAdmin, handlerQueues: string[] = []) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    context: {
      admin,
      exchange: 'ex',
      handlerQueues: async () => handlerQueues,
      out: (line: string) => out.push(line),
      err: (line: string) => err.push(line),
    },
  };
}

describe('runDlqCommand', () => {
  it('purge without --yes only reports the count and exits 2', async () => {
    const admin = fakeAdmin();
    const { context: ctx, err } = context(admin);
    expect(await runDlqCommand({ command: 'purge', queue: 'q', yes: false }, ctx)).toBe(EXIT_USAGE);
    expect(admin.purge).not.toHaveBeenCalled();
    expect(err).toEqual(['q.dlq holds 4 message(s); nothing purged: re-run with --yes to delete them']);
  });

  it('purge --yes purges', async () => {
    const admin = fakeAdmin();
    const { context: ctx, out } = context(admin);
    expect(await runDlqCommand({ command: 'purge', queue: 'q', yes: true }, ctx)).toBe(EXIT_OK);
    expect(out).toEqual(['purged 4 message(s) from q.dlq']);
  });

  it("replay refuses a queue that is not one of the service's DLQs, says why, and moves nothing", async () => {
    const admin = fakeAdmin();
    const { context: ctx, err, out } = context(admin, ['svc.a', 'svc.b']);
    expect(await runDlqCommand({ command: 'replay', queue: 'other.dlq', force: false }, ctx)).toBe(EXIT_USAGE);
    expect(admin.replay).not.toHaveBeenCalled();
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toContain("refusing to replay other.dlq: it is not a dead-letter queue of this service's handlers");
    expect(err[0]).toContain('svc.a.dlq, svc.b.dlq');
    expect(err[0]).toContain('--force');
  });

  it("replay takes the service's own DLQ by either name, and any queue with --force", async () => {
    const admin = fakeAdmin();
    const { context: ctx } = context(admin, ['svc.a']);
    expect(await runDlqCommand({ command: 'replay', queue: 'svc.a.dlq', force: false }, ctx)).toBe(EXIT_OK);
    expect(await runDlqCommand({ command: 'replay', queue: 'svc.a', force: false }, ctx)).toBe(EXIT_OK);
    expect(await runDlqCommand({ command: 'replay', queue: 'other', force: true }, ctx)).toBe(EXIT_OK);
    expect(admin.replay).toHaveBeenCalledTimes(3);
    expect(admin.replay).toHaveBeenLastCalledWith('other', { limit: undefined });
  });

  it('replay passes the limit and prints the count', async () => {
    const admin = fakeAdmin();
    const { context: ctx, out } = context(admin, ['q']);
    expect(await runDlqCommand({ command: 'replay', queue: 'q', limit: 3, force: false }, ctx)).toBe(EXIT_OK);
    expect(admin.replay).toHaveBeenCalledWith('q', { limit: 3 });
    expect(out).toEqual(['replayed 3 message(s) from q.dlq to q']);
  });

  it("list shows the service's handler queues plus the named ones, once each, and the unrouted queue", async () => {
    const admin = fakeAdmin();
    const { context: ctx, out } = context(admin, ['svc.a', 'svc.b']);
    expect(await runDlqCommand({ command: 'list', queues: ['svc.b', 'other'] }, ctx)).toBe(EXIT_OK);
    expect(admin.list).toHaveBeenCalledWith(['svc.a', 'svc.b', 'other']);
    expect(admin.unrouted).toHaveBeenCalledWith('ex');
    expect(out[0]).toContain('ex (unrouted)');
  });
});
