import { createActor, type AnyActorScope, type EventObject, type SnapshotFrom } from 'xstate';
import type { TimerClock } from '../../core/index.js';
import type { positionMachine, PositionEvent, PositionInput } from '../../../machines/index.js';

type PositionLogic = typeof positionMachine;
export type PositionSnapshot = SnapshotFrom<PositionLogic>;

/** One position run by the stepper: the machine's snapshot, its timers, and the events waiting for it. */
export interface SteppedPosition {
  snapshot: PositionSnapshot;
  readonly timers: Map<string, unknown>;
  readonly inbox: EventObject[];
  busy: boolean;
}

interface ExecutableAction {
  readonly type: string;
  readonly info: unknown;
  readonly params: Record<string, unknown> | undefined;
  readonly exec: ((info: unknown, params: unknown) => void) | undefined;
}

/**
 * Runs position machines (machines/position-machine.ts, with their effects provided) by XState's pure
 * transition function, `logic.transition(snapshot, event, scope)`, without an actor per position: the
 * RL environment opens and settles thousands of positions an episode, and an actor's mailbox, system
 * registration and observers cost more than the machine's own step. What an actor does around the step is
 * done here the same way: the transition's effects run as it takes them (the provided `placeOrder`,
 * `cancelOrder`, `queryOrder`); its delayed events (the `after` timers) are set on and cleared from the
 * given clock and sent back when due; an event sent to a position while it is stepping waits in its inbox
 * until the step is done (an actor's mailbox). `xstate`'s exported `transition()` does the same step but
 * builds a new actor for its scope on every call; one inert scope serves every step here.
 */
export class PositionStepper {
  readonly #logic: PositionLogic;
  readonly #clock: TimerClock;
  readonly #onStep: (p: SteppedPosition) => void;
  readonly #scope: AnyActorScope;
  /** The delayed events and cancels of the step running (applied once it is done, as an actor defers them). */
  readonly #timerActions: ExecutableAction[] = [];

  /** `onStep` hears every step taken (the snapshot may be unchanged: an event no transition takes). */
  constructor(logic: PositionLogic, clock: TimerClock, onStep: (p: SteppedPosition) => void) {
    this.#logic = logic;
    this.#clock = clock;
    this.#onStep = onStep;
    // The scope XState's `transition()` makes (createInertActorScope), made once: an actor never started.
    const inert = createActor(logic, { input: { positionId: '', market: '', ackTimeoutMs: 0, buyTimeoutMs: 0 } }) as unknown as { _actorScope: AnyActorScope };
    this.#scope = Object.assign({}, inert._actorScope, {
      actionExecutor: (action: ExecutableAction) => {
        if (action.type === 'xstate.raise' || action.type === 'xstate.cancel') this.#timerActions.push(action);
        else action.exec?.(action.info, action.params);
      },
      defer: () => {},
    });
  }

  /** A new position in the machine's initial state (its entry takes no effect). */
  start(input: PositionInput): SteppedPosition {
    return { snapshot: this.#logic.getInitialSnapshot(this.#scope, input), timers: new Map(), inbox: [], busy: false };
  }

  /** Delivers `event`; a settled position ignores it. */
  send(p: SteppedPosition, event: PositionEvent | EventObject): void {
    p.inbox.push(event);
    if (p.busy) return;
    p.busy = true;
    try {
      for (let e = p.inbox.shift(); e !== undefined; e = p.inbox.shift()) {
        if (p.snapshot.status !== 'active') continue;
        this.#timerActions.length = 0;
        p.snapshot = this.#logic.transition(p.snapshot, e as PositionEvent, this.#scope);
        const timerActions = this.#timerActions.splice(0);
        for (const a of timerActions) this.#timer(p, a);
        if (p.snapshot.status !== 'active') this.#clearTimers(p);
        this.#onStep(p);
      }
    } finally {
      p.busy = false;
    }
  }

  /** Clears a position's timers (a position dropped before it settled). */
  stop(p: SteppedPosition): void {
    this.#clearTimers(p);
    p.inbox.length = 0;
  }

  #timer(p: SteppedPosition, a: ExecutableAction): void {
    const params = a.params as { id?: string; sendId?: string; delay?: number; event?: EventObject };
    if (a.type === 'xstate.cancel') {
      const id = params.sendId as string;
      const timer = p.timers.get(id);
      if (timer === undefined) return;
      p.timers.delete(id);
      this.#clock.clearTimeout(timer);
      return;
    }
    // A raise without a delay is taken inside the transition itself; only delayed ones reach here.
    if (typeof params.delay !== 'number' || params.id === undefined || params.event === undefined) return;
    const id = params.id;
    const event = params.event;
    const old = p.timers.get(id);
    if (old !== undefined) this.#clock.clearTimeout(old);
    p.timers.set(
      id,
      this.#clock.setTimeout(() => {
        p.timers.delete(id);
        this.send(p, event);
      }, params.delay),
    );
  }

  #clearTimers(p: SteppedPosition): void {
    for (const timer of p.timers.values()) this.#clock.clearTimeout(timer);
    p.timers.clear();
  }
}
