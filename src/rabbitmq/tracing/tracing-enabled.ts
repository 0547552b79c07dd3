import { ProxyTracerProvider, trace } from '@opentelemetry/api';

/** What the api answers when no SDK registered a tracer provider (the same object every time). */
const NO_SDK_DELEGATE = new ProxyTracerProvider().getDelegate();

/**
 * True when an OpenTelemetry SDK has registered a global tracer provider. Without one, warren
 * creates no spans at all (not even no-op ones) and only carries the W3C headers it received.
 * Checked once per publisher and per handler at start-up: register the SDK before the app is
 * created (`node --import ./tracing.mjs dist/main.js`).
 */
export function isTracingEnabled(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider && provider.getDelegate() === NO_SDK_DELEGATE);
}
