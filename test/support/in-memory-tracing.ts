import http from 'node:http';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

export interface InMemoryTracing {
  exporter: InMemorySpanExporter;
  /** Finished spans of one trace. */
  spansOf(traceId: string): ReadableSpan[];
  shutdown(): Promise<void>;
}

/**
 * What `@opentelemetry/sdk-node` registers in a real service (tracer provider, async-hooks context
 * manager, W3C trace-context + baggage propagators, HTTP server instrumentation), with every
 * finished span kept in memory. Register it before the app is created, as a service would with
 * `node --import`.
 */
export function registerInMemoryTracing(): InMemoryTracing {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  // Server spans only: the test's own supertest calls would otherwise be client spans that parent the HTTP span.
  const instrumentation = new HttpInstrumentation({ disableOutgoingRequestInstrumentation: true });
  instrumentation.setTracerProvider(provider);
  // jest loads modules through its own runtime, so the require hook that patches `http` in a real
  // process never fires here: patch the module the way the hook would (server spans wrap Server.prototype.emit).
  for (const definition of instrumentation.getModuleDefinitions()) {
    if (definition.name === 'http') {
      definition.patch?.(http);
    }
  }
  return {
    exporter,
    spansOf: (traceId) => exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId),
    shutdown: async () => {
      instrumentation.disable();
      for (const definition of instrumentation.getModuleDefinitions()) {
        if (definition.name === 'http') {
          definition.unpatch?.(http);
        }
      }
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
