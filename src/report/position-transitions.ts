import type { AnyActorRef, InspectionEvent } from 'xstate';
import type { TransitionView } from './dashboard-state.js';

/** Who hears about the position actors' lives. */
export interface PositionTransitionSink {
  onPositionStarted(positionId: string, market: string, state: string, ts: number): void;
  onPositionTransition(positionId: string, market: string, transition: TransitionView): void;
  onPositionDone(positionId: string, result?: { readonly pnl: number; readonly return: number; readonly reason: string }): void;
}

interface PositionLike {
  readonly positionId: string;
  readonly market: string;
  readonly lastTs?: number;
}

interface TransitionLike {
  readonly eventType: string;
  readonly source: { readonly path: readonly string[]; readonly key: string; readonly transitions: ReadonlyMap<string, readonly unknown[]> };
}

function positionContext(snapshot: unknown): PositionLike | undefined {
  const c = (snapshot as { context?: Partial<PositionLike> } | undefined)?.context;
  // A spare the engine spawned ahead (no market yet, src/engine/trading-engine.ts) is no position until its buy.
  return c && typeof c.positionId === 'string' && typeof c.market === 'string' && c.market !== '' ? (c as PositionLike) : undefined;
}

function stateName(snapshot: unknown): string {
  const value = (snapshot as { value?: unknown }).value;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function transitionKey(t: TransitionLike): string {
  const source = t.source.path.join('.') || t.source.key;
  return `${source} · ${t.eventType} #${(t.source.transitions.get(t.eventType) ?? []).indexOf(t)}`;
}

/**
 * Follows the position actors of a bot through its actor system's inspection stream: each one's
 * start, every transition taken (microsteps with at least one transition: an event no branch accepts
 * is not one) with the event that caused it and the definition's transition keys, and its end. Actors
 * already running when called are reported as started in their current state.
 */
export function watchPositions(bot: AnyActorRef, sink: PositionTransitionSink, describe: (event: { readonly type: string } & Record<string, unknown>) => string): { unsubscribe(): void } {
  const states = new Map<string, string>();
  const done = new Set<string>();
  const start = (ref: AnyActorRef): void => {
    const snapshot = ref.getSnapshot() as { status?: string };
    const c = positionContext(snapshot);
    if (!c || states.has(c.positionId)) return;
    states.set(c.positionId, stateName(snapshot));
    sink.onPositionStarted(c.positionId, c.market, stateName(snapshot), c.lastTs ?? 0);
  };
  for (const child of Object.values((bot.getSnapshot() as { children?: Record<string, AnyActorRef | undefined> }).children ?? {})) if (child) start(child);
  const subscription = bot.system.inspect((ev: InspectionEvent) => {
    if (ev.actorRef === bot || (ev.type !== '@xstate.snapshot' && ev.type !== '@xstate.microstep')) return;
    const c = positionContext(ev.snapshot);
    if (!c) return;
    const id = c.positionId;
    if (ev.type === '@xstate.microstep') {
      const taken = (ev._transitions ?? []) as unknown as TransitionLike[];
      if (taken.length === 0) return;
      // A spare's first transition (its buy) is where the position starts, in the state it leaves.
      const from = states.get(id) ?? taken[0]?.source.key ?? stateName(ev.snapshot);
      if (!states.has(id)) sink.onPositionStarted(id, c.market, from, c.lastTs ?? 0);
      const to = stateName(ev.snapshot);
      states.set(id, to);
      const event = ev.event as { type: string } & Record<string, unknown>;
      const ts = typeof event['ts'] === 'number' ? (event['ts'] as number) : (c.lastTs ?? 0);
      sink.onPositionTransition(id, c.market, { ts, from, to, event: event.type, detail: describe(event), transitions: taken.map(transitionKey) });
      return;
    }
    if (!states.has(id)) {
      states.set(id, stateName(ev.snapshot));
      sink.onPositionStarted(id, c.market, stateName(ev.snapshot), c.lastTs ?? 0);
    }
    const snap = ev.snapshot as { status?: string; output?: { amount?: number; pnl: number; return: number; reason: string } };
    if (snap.status === 'done' && !done.has(id)) {
      done.add(id);
      const out = snap.output;
      sink.onPositionDone(id, out && (out.amount ?? 0) > 0 ? out : undefined);
    }
  });
  return subscription;
}
