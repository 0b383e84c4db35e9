import type { AnyActorRef, InspectionEvent } from 'xstate';

export interface StatelyInspectorOptions {
  /** Websocket of a Stately inspector server (`@statelyai/inspect/server`'s `createInspectorServer`, default ws://127.0.0.1:8080). */
  readonly url?: string;
  /** Also send the per-batch `equity.update` events (many; off by default). */
  readonly ticks?: boolean;
}

const NOISY = new Set(['equity.update']);

/**
 * Streams the bot's actor system (the bot and its position actors) to a Stately inspector over the
 * `@statelyai/inspect` websocket protocol. The package is loaded only when this is called. Waits (up
 * to 3 s) for the connection, then announces the bot and its running children with their current
 * snapshots; later actors announce themselves. The per-batch `equity.update` traffic is
 * left out unless `ticks` is set.
 */
export async function attachStatelyInspector(bot: AnyActorRef, options: StatelyInspectorOptions = {}): Promise<{ readonly url: string; close(): void }> {
  const { createWebSocketInspector } = await import('@statelyai/inspect');
  const url = options.url ?? 'ws://127.0.0.1:8080';
  const inspector = createWebSocketInspector({
    url,
    maxDeferredEvents: 10_000,
    filter: (e) => options.ticks === true || !((e.type === '@xstate.event' || e.type === '@xstate.snapshot') && NOISY.has(String((e as { event?: { type?: unknown } }).event?.type))),
  });
  // Connect first, then announce the running actors: events sent before the socket opens are queued, and a long queue drops the oldest.
  const adapter = inspector.adapter as unknown as { status: string };
  for (let waited = 0; adapter.status !== 'open' && waited < 3_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
  inspector.actor(bot, bot.getSnapshot() as never);
  for (const child of Object.values((bot.getSnapshot() as { children?: Record<string, AnyActorRef | undefined> }).children ?? {})) if (child) inspector.actor(child, child.getSnapshot() as never);
  const subscription = bot.system.inspect((e: InspectionEvent) => inspector.inspect.next?.(e));
  return {
    url,
    close() {
      subscription.unsubscribe();
      inspector.stop();
    },
  };
}
