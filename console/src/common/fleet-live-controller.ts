import { Task, TaskStatus } from '@lit/task';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { fetchAgents, mergeAgentEvent } from '../data/agents.js';
import type { Agent } from '../data/agents.js';
import { subscribeAgentEvents } from '../data/events.js';

/** How the fleet list stays current: server-sent events, or polling after the stream failed. */
export type LiveMode = 'connecting' | 'live' | 'polling';

export interface FleetLiveOptions {
  /** Called after an agent changed through an event; `previous` is its state before. */
  onAgentEvent?: (agent: Agent, previous: Agent | undefined) => void;
  /** Called after the whole list was loaded again. */
  onReload?: () => void;
  /** How often to reload while polling (default 15 s). */
  pollMillis?: number;
  /**
   * How often to reload even while events flow (default 60 s). Agents that stop reporting send no
   * event, so only a reload shows them going stale or offline.
   */
  reloadMillis?: number;
}

/**
 * Keeps a host element's list of agents live. The list is loaded by a `Task` (so the element renders
 * its pending and error states) and then patched by `agent` events; when the event stream fails the
 * controller polls instead.
 */
export class FleetLiveController implements ReactiveController {
  readonly task: Task<[], Agent[]>;

  mode: LiveMode = 'connecting';

  private readonly _host: ReactiveControllerHost;
  private readonly _options: FleetLiveOptions;
  private readonly _updates = new Map<string, Agent>();
  private _unsubscribe?: () => void;
  private _timer?: number;

  constructor(host: ReactiveControllerHost, options: FleetLiveOptions = {}) {
    this._host = host;
    this._options = options;
    this.task = new Task(host, {
      task: async (_args, { signal }) => {
        const list = await fetchAgents(signal);
        this._updates.clear();
        queueMicrotask(() => this._options.onReload?.());
        return list.items;
      },
      args: () => [],
    });
    host.addController(this);
  }

  /** The latest known state of every agent, or undefined before the first load. */
  get agents(): Agent[] | undefined {
    const loaded = this.task.value;
    if (!loaded) return undefined;
    if (this._updates.size === 0) return loaded;
    const ids = new Set(loaded.map((a) => a.id));
    const merged = loaded.map((a) => this._updates.get(a.id) ?? a);
    for (const agent of this._updates.values()) if (!ids.has(agent.id)) merged.push(agent);
    return merged;
  }

  /** Loads the list again now. */
  reload(): void {
    void this.task.run();
  }

  hostConnected(): void {
    this._connect();
  }

  hostDisconnected(): void {
    this._unsubscribe?.();
    this._unsubscribe = undefined;
    this._stopTimer();
  }

  private _connect(): void {
    this.mode = 'connecting';
    this._startTimer(this._options.reloadMillis ?? 60_000);
    this._unsubscribe = subscribeAgentEvents({
      onOpen: () => {
        this.mode = 'live';
        this._host.requestUpdate();
      },
      onAgent: (event) => {
        const previous = this.agents?.find((a) => a.id === event.id);
        const agent = mergeAgentEvent(previous, event);
        this._updates.set(agent.id, agent);
        this._host.requestUpdate();
        this._options.onAgentEvent?.(agent, previous);
      },
      onError: () => {
        this._unsubscribe = undefined;
        this.mode = 'polling';
        this._startTimer(this._options.pollMillis ?? 15_000);
        this._host.requestUpdate();
      },
    });
  }

  private _startTimer(millis: number): void {
    this._stopTimer();
    this._timer = window.setInterval(() => {
      // A reload that is still running is not started again.
      if (this.task.status !== TaskStatus.PENDING) this.reload();
    }, millis);
  }

  private _stopTimer(): void {
    if (this._timer !== undefined) window.clearInterval(this._timer);
    this._timer = undefined;
  }
}
