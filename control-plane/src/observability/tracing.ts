import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { trace, SpanStatusCode, type Tracer } from '@opentelemetry/api';

/**
 * OpenTelemetry tracing, on only when an OTLP/HTTP endpoint is configured. The HTTP middleware makes
 * one span per request, named by method and route template; without an endpoint the API's no-op
 * tracer costs nothing.
 */
export async function startTracing(opts: {
  endpoint?: string | undefined;
  serviceName: string;
  version: string;
}): Promise<{ shutdown(): Promise<void> } | undefined> {
  if (!opts.endpoint) return undefined;
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ 'service.name': opts.serviceName, 'service.version': opts.version }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: opts.endpoint }))],
    instrumentations: [],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

export function tracer(): Tracer {
  return trace.getTracer('tianshu-control-plane');
}

export { SpanStatusCode };
