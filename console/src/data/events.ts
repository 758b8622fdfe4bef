import type { Agent } from './agents.js';

export interface AgentEventHandlers {
  /** Called with the agent's new state each time it heartbeats or reports. */
  onAgent: (agent: Agent) => void;
  /** Called once when the stream is open. */
  onOpen?: () => void;
  /** Called once when the stream fails; the stream is closed and the caller should poll instead. */
  onError?: () => void;
}

/**
 * Subscribes to `event: agent` messages of the server-sent event stream. Returns a function that
 * closes the stream. The browser's automatic reconnect is not used: on the first error the stream is
 * closed and the caller falls back to polling.
 */
export function subscribeAgentEvents(handlers: AgentEventHandlers): () => void {
  if (typeof EventSource === 'undefined') {
    queueMicrotask(() => handlers.onError?.());
    return () => {};
  }
  const source = new EventSource('/api/v1/events', { withCredentials: true });
  let closed = false;
  const close = (): void => {
    closed = true;
    source.close();
  };
  source.addEventListener('open', () => handlers.onOpen?.());
  source.addEventListener('agent', (event: MessageEvent<string>) => {
    try {
      handlers.onAgent(JSON.parse(event.data) as Agent);
    } catch {
      // A malformed message is ignored; the next heartbeat brings the agent up to date.
    }
  });
  source.addEventListener('error', () => {
    if (closed) return;
    close();
    handlers.onError?.();
  });
  return close;
}
