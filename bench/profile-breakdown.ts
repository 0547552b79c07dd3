/**
 * Where a consumed message's CPU goes: reads a V8 `.cpuprofile` written by a drain subject
 * (`BENCH_CPU_PROF=<dir> npm run bench:drain`), keeps the samples between the first and the last
 * delivery (the drain, not start-up) and puts each sample in one bucket by its stack, then
 * prints µs of sampled time per message for each bucket.
 *
 * `node bench/.build/bench/profile-breakdown.js <file.cpuprofile> <messages drained>`
 *
 * Buckets: the top frame decides for GC, idle, async hooks, socket writes and the promise
 * machinery; otherwise the first frame of a known library or warren folder down the stack from
 * the top (rxjs before Nest, since Nest's interceptor chain is rxjs). The profiler samples wall
 * time of the main thread: use the buckets for *where*; `/proc` CPU time (the drain table) for
 * *how much*, as it also counts V8's GC helper threads.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Top-frame buckets: what the sample itself was doing. */
const TOP_FRAME: [RegExp, string][] = [
  [/^\(garbage collector\)$/, 'GC'],
  [/^\(idle\)$/, 'idle (waiting for the broker)'],
  [/^(writeBuffer|writev|writeGeneric|writevGeneric)$/, 'socket writes (acks)'],
];
const TOP_URL: [RegExp, string][] = [[/node:internal\/async_hooks|node:async_hooks/, 'AsyncLocalStorage / async hooks']];
/** First frame down the stack that belongs to one of these. */
const OWNER: [RegExp, string][] = [
  [/node_modules\/rxjs\//, 'rxjs'],
  [/node_modules\/@nestjs\//, 'Nest pipeline'],
  [/node_modules\/(class-validator|class-transformer|validator|libphonenumber-js)\//, 'validation (class-validator)'],
  [/node_modules\/prom-client\//, 'metrics (prom-client)'],
  [/node_modules\/amqplib\//, 'amqplib: frame parsing, socket reads'],
  [/node_modules\/amqp-connection-manager\//, 'amqp-connection-manager'],
  [/node_modules\/@golevelup\//, 'golevelup'],
  [/\/src\/rabbitmq\/codec\//, 'decode (UTF-8 check, depth scan, JSON.parse)'],
  [/\/src\/rabbitmq\/correlation\//, 'correlation context'],
  [/\/src\/rabbitmq\/metrics\//, 'metrics (prom-client)'],
  [/\/src\/rabbitmq\/server\/handler-deadlines/, 'timers (handler timeout)'],
  [/\/src\/rabbitmq\//, "warren's consumer, processor, ack batcher, flow control"],
  [/\/bench\/subjects\//, 'the handler (bench subject)'],
];

function main(): void {
  const [file, drained] = process.argv.slice(2);
  const messages = Number(drained);
  if (!file || !Number.isFinite(messages) || messages <= 0) {
    throw new Error('usage: node bench/.build/bench/profile-breakdown.js <file.cpuprofile> <messages drained>');
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) {
      parentOf.set(child, node.id);
    }
  }
  const stackOf = (id: number): CallFrame[] => {
    const frames: CallFrame[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      frames.push(byId.get(at)!.callFrame);
    }
    return frames;
  };
  // The drain: from the first to the last sample with warren's or a library's consumer on the stack.
  const consuming = (id: number): boolean => stackOf(id).some((frame) => /onMessage|handleDelivery|dispatchMessage/.test(frame.functionName));
  const first = profile.samples.findIndex(consuming);
  let last = profile.samples.length - 1;
  while (last > first && !consuming(profile.samples[last])) {
    last -= 1;
  }
  const buckets = new Map<string, number>();
  for (let index = Math.max(0, first); index <= last; index++) {
    const micros = profile.timeDeltas[index + 1] ?? 0;
    const bucket = bucketOf(stackOf(profile.samples[index]));
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + micros);
  }
  const rows = [...buckets].sort((a, b) => b[1] - a[1]);
  const busy = rows.filter(([name]) => !name.startsWith('idle')).reduce((sum, [, micros]) => sum + micros, 0);
  console.log(`| bucket | µs per message |\n|---|---:|`);
  for (const [name, micros] of rows) {
    console.log(`| ${name} | ${(micros / messages).toFixed(1)} |`);
  }
  console.log(`| **sampled total, without idle** | **${(busy / messages).toFixed(1)}** |`);
}

function bucketOf(stack: CallFrame[]): string {
  const top = stack[0];
  for (const [pattern, name] of TOP_FRAME) {
    if (pattern.test(top.functionName)) {
      return name;
    }
  }
  for (const [pattern, name] of TOP_URL) {
    if (pattern.test(top.url)) {
      return name;
    }
  }
  for (const frame of stack) {
    for (const [pattern, name] of OWNER) {
      if (pattern.test(frame.url)) {
        return name;
      }
    }
  }
  if (/^(runMicrotasks|processTicksAndRejections)$/.test(top.functionName) || /task_queues/.test(top.url)) {
    return 'promise / microtask machinery';
  }
  return 'other (Node streams, events, timers)';
}

main();
