/**
 * Tianshu's flow decoder: NetFlow v5, NetFlow v9, IPFIX and sFlow v5 datagrams → `FlowRecord`s.
 *
 * ```ts
 * const decoder = createFlowDecoder({ templateTimeoutMillis: 30 * 60_000 });
 * const counters = newFlowDecodeCounters(); // one per exporter, owned by the caller
 * decoder.decode(datagram, '192.0.2.1', { onFlow: (r) => aggregate(r) }, counters);
 * ```
 */
export { createFlowDecoder, FlowDecoder, type FlowDecoderOptions } from './decoder.js';
export { TemplateCache, type TemplateCacheCounts, type TemplateCacheOptions } from './templates.js';
export {
  newFlowDecodeCounters,
  newInterfaceCounters,
  type DecodeResult,
  type FlowDecodeCounters,
  type FlowSink,
  type InterfaceCounters,
} from './types.js';
export { ipv6Text } from './bytes.js';
