import { describe, expect, it, jest } from '@jest/globals';
import type { DeadLetterAdmin } from '../rabbitmq/admin.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, runDlqCommand } from './dlq-command.js';

function fakeAdmin(): DeadLetterAdmin {
  return {
    depth: jest.fn(async (queue: string) => ({ queue, dlq: `${queue}.dlq`, messages: 4 })),
    purge: jest.fn(async (queue: string) => ({ queue, dlq: `${queue}.dlq`, messages: 4 })),
    replay: jest.fn(async (queue: string) => ({ queue, dlq: `${queue}.dlq`, replayed: 3, skipped: 0 })),
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
    const { context: ctx, err } = context(admin, ['q']);
    expect(await runDlqCommand({ command: 'purge', queue: 'q', yes: false, force: false }, ctx)).toBe(EXIT_USAGE);
    expect(admin.purge).not.toHaveBeenCalled();
    expect(err).toEqual(['q.dlq holds 4 message(s); nothing purged: re-run with --yes to delete them']);
  });

  it('purge --yes purges', async () => {
    const admin = fakeAdmin();
    const { context: ctx, out } = context(admin, ['q']);
    expect(await runDlqCommand({ command: 'purge', queue: 'q', yes: true, force: false }, ctx)).toBe(EXIT_OK);
    expect(out).toEqual(['purged 4 message(s) from q.dlq']);
  });

  it("purge refuses a queue that is not one of the service's DLQs, --yes or not, unless --force", async () => {
    const admin = fakeAdmin();
    const { context: ctx, err } = context(admin, ['svc.a']);
    expect(await runDlqCommand({ command: 'purge', queue: 'other.dlq', yes: true, force: false }, ctx)).toBe(EXIT_USAGE);
    expect(await runDlqCommand({ command: 'purge', queue: 'other.dlq', yes: false, force: false }, ctx)).toBe(EXIT_USAGE);
    expect(admin.purge).not.toHaveBeenCalled();
    expect(admin.depth).not.toHaveBeenCalled();
    expect(err[0]).toContain("refusing to purge other.dlq: it is not a dead-letter queue of this service's handlers (SERVICE_NAME's are: svc.a.dlq)");
    expect(err[0]).toContain('nothing deleted');
    expect(err[0]).toContain('--force');
    expect(await runDlqCommand({ command: 'purge', queue: 'other.dlq', yes: true, force: true }, ctx)).toBe(EXIT_OK);
    expect(admin.purge).toHaveBeenCalledWith('other.dlq');
  });

  it('replay reports what it counted but did not move, and exits 1', async () => {
    const admin = fakeAdmin();
    jest.mocked(admin.replay).mockResolvedValue({ queue: 'q', dlq: 'q.dlq', replayed: 1, skipped: 2, skippedBecause: 'they were gone' });
    const { context: ctx, out, err } = context(admin, ['q']);
    expect(await runDlqCommand({ command: 'replay', queue: 'q', force: false }, ctx)).toBe(EXIT_FAILURE);
    expect(out).toEqual(['replayed 1 message(s) from q.dlq to q']);
    expect(err).toEqual(['not replayed: 2 message(s) counted at the start: they were gone']);
  });

  it('escapes queue names it prints', async () => {
    const admin = fakeAdmin();
    const { context: ctx, err } = context(admin, []);
    await runDlqCommand({ command: 'replay', queue: 'x\u001b[2J\n.dlq', force: false }, ctx);
    expect(err[0]).toContain('refusing to replay x\\u001b[2J\\n.dlq');
    expect(err[0]).not.toContain('\u001b');
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
