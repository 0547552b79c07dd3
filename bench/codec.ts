/**
 * Scenario 4 — codecs: bytes on the wire and encode+decode time for small (200 B), medium
 * (10 KB) and large (1 MB) payloads. A placeholder hook until the MessagePack codec lands: it
 * is skipped while src/rabbitmq/codec/ has no msgpack codec. Once one exists, every exported
 * class of src/rabbitmq/codec/*.ts that constructs without arguments and has
 * `contentType` / `encode` / `decode` (the MessageCodec interface) is measured next to JSON.
 *
 * `node bench/.build/bench/codec.js`
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeReport } from './lib/report.js';
import type { CodecMeasure, CodecResult } from './lib/results.js';
import { builtPath, isMain, log, REPO_DIR, round } from './lib/util.js';

interface CodecLike {
  contentType: string;
  encode(payload: unknown): Buffer;
  decode(body: Buffer): unknown;
}

/** sources looked at, and where their compiled modules are (overridable to test this hook) */
const CODEC_DIR = process.env.BENCH_CODEC_SRC_DIR ?? resolve(REPO_DIR, 'src/rabbitmq/codec');
const CODEC_BUILD_DIR = process.env.BENCH_CODEC_BUILD_DIR ?? builtPath('src/rabbitmq/codec');

/** An order-like payload whose JSON is about `bytes` long (many small fields, like real events). */
export function payloadOfSize(bytes: number): unknown {
  const items: { sku: string; quantity: number; price: number; title: string }[] = [];
  const base = { orderId: '3f1c8a52-9d4e-4d8b-9a51-0c2f7b1e5a10', customerId: 'c-1042', createdAt: '2026-01-01T00:00:00.000Z', items };
  let i = 0;
  while (JSON.stringify(base).length < bytes) {
    items.push({ sku: `SKU-${1000 + i}`, quantity: (i % 7) + 1, price: 1999 + i, title: `Item number ${i} of the order` });
    i++;
  }
  return base;
}

function timeIt(work: () => void, minMs = 200): number {
  let iterations = 0;
  const start = performance.now();
  let elapsed: number;
  do {
    work();
    iterations++;
    elapsed = performance.now() - start;
  } while (elapsed < minMs);
  return (elapsed * 1000) / iterations;
}

function isCodec(value: unknown): value is CodecLike {
  const v = value as Partial<CodecLike> | null;
  return !!v && typeof v.contentType === 'string' && typeof v.encode === 'function' && typeof v.decode === 'function';
}

export async function runCodec(): Promise<CodecResult> {
  let files: string[];
  try {
    files = readdirSync(CODEC_DIR).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
  } catch {
    return { skipped: true, reason: 'src/rabbitmq/codec/ not found', measures: [] };
  }
  const hasMsgpack = files.some((f) => /msgpack/i.test(f) || /msgpackr|msgpack/i.test(readFileSync(resolve(CODEC_DIR, f), 'utf8')));
  if (!hasMsgpack) {
    return { skipped: true, reason: 'no MessagePack codec in src/rabbitmq/codec/ yet', measures: [] };
  }
  const codecs = await loadCodecs(files);
  if (codecs.length === 0) {
    return { skipped: true, reason: 'a msgpack codec file exists but no codec class could be constructed without arguments', measures: [] };
  }
  return { skipped: false, measures: measureCodecs(codecs) };
}

/** Every exported class of the compiled codec files that constructs without arguments and looks like a codec. */
async function loadCodecs(files: string[]): Promise<{ name: string; codec: CodecLike }[]> {
  const codecs: { name: string; codec: CodecLike }[] = [];
  for (const file of files) {
    const compiled = resolve(CODEC_BUILD_DIR, file.replace(/\.ts$/, '.js'));
    let module: Record<string, unknown>;
    try {
      module = (await import(pathToFileURL(compiled).href)) as Record<string, unknown>;
    } catch (error) {
      log(`codec: cannot import ${file}: ${String(error)}`);
      continue;
    }
    for (const [name, exported] of Object.entries(module)) {
      if (typeof exported !== 'function') {
        continue;
      }
      try {
        const instance: unknown = new (exported as new () => unknown)();
        if (isCodec(instance) && !codecs.some((c) => c.name === name)) {
          codecs.push({ name, codec: instance });
        }
      } catch {
        // needs constructor arguments (e.g. a compressing wrapper): not measured by this hook
      }
    }
  }
  return codecs;
}

/** Size against JSON and encode+decode time of each codec on a small, a medium and a large order-like payload. */
function measureCodecs(codecs: { name: string; codec: CodecLike }[]): CodecMeasure[] {
  const sizes = { small: 200, medium: 10 * 1024, large: 1024 * 1024 } as const;
  const measures: CodecMeasure[] = [];
  for (const [payloadName, bytes] of Object.entries(sizes) as ['small' | 'medium' | 'large', number][]) {
    const payload = payloadOfSize(bytes);
    const jsonBytes = Buffer.byteLength(JSON.stringify(payload));
    for (const { name, codec } of codecs) {
      try {
        const encoded = codec.encode(payload);
        codec.decode(encoded);
        const micros = timeIt(() => codec.decode(codec.encode(payload)), payloadName === 'large' ? 500 : 200);
        measures.push({
          codec: name,
          contentType: codec.contentType,
          payload: payloadName,
          jsonBytes,
          encodedBytes: encoded.length,
          sizeRatio: round(encoded.length / jsonBytes, 3),
          encodeDecodeMicros: round(micros, 1),
        });
      } catch (error) {
        log(`codec ${name} on ${payloadName}: ${String(error)}`);
      }
    }
  }
  return measures;
}

if (isMain(import.meta.url)) {
  const codec = await runCodec();
  await writeReport({ codec }, 'codec');
  process.exit(0);
}
