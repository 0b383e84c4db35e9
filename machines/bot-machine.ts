import { assign, enqueueActions, setup, stopChild, type ActorRefFrom } from 'xstate';
import { DAY_MS } from '../src/core/index.js';
import { positionMachine, type PositionEvent, type PositionInput } from './position-machine.js';

export type StopPolicy = 'keep' | 'liquidate';

export interface BotInput {
  readonly botId: string;
  /** Halt for the rest of the UTC day (resuming by itself the next day) when equity falls this fraction below the day's opening equity. */
  readonly dailyLossLimit: number;
  /** Stop when equity falls this fraction below its peak (until `bot.reset`). */
  readonly maxDrawdown: number;
  /**
   * What stopping does: open buys are always cancelled; holdings are kept (`keep`, the default: a
   * restart resumes managing them) or sold (`liquidate`).
   */
  readonly onStop: StopPolicy;
}

export type BotEvent =
  | { readonly type: 'bot.start' }
  | { readonly type: 'bot.pause' }
  | { readonly type: 'bot.resume' }
  | { readonly type: 'bot.stop'; readonly reason?: string }
  | { readonly type: 'bot.reset' }
  /**
   * `peak`: the most of `equity` the bot may take as a new peak (a live venue's balance read not confirmed yet:
   * TradingEngine.#peakHeld); absent, all of it.
   */
  | { readonly type: 'equity.update'; readonly ts: number; readonly equity: number; readonly peak?: number }
  | ({ readonly type: 'position.open' } & PositionInput)
  | { readonly type: 'position.event'; readonly positionId: string; readonly event: PositionEvent }
  | { readonly type: 'position.remove'; readonly positionId: string }
  /** `position.remove` of each, in one step of the bot. */
  | { readonly type: 'positions.remove'; readonly positionIds: readonly string[] }
  /** The engine reports that no order of the bot is resting any more (after stopping's cancels). */
  | { readonly type: 'positions.drained' };

export interface BotContext extends BotInput {
  readonly positions: Readonly<Record<string, ActorRefFrom<typeof positionMachine>>>;
  readonly day: number;
  readonly dayOpenEquity: number;
  readonly peakEquity: number;
  readonly equity: number;
  readonly stopReason: string | undefined;
  /** UTC day on which the daily loss limit tripped: no restart before the next day. */
  readonly haltedDay: number | undefined;
  /** Max drawdown tripped: no restart without `bot.reset`. */
  readonly drawdownHalt: boolean;
}

/** Why the kill switch trips at this equity, or undefined (exported: the engine skips updates that change nothing). */
export function killReason(c: BotContext, ts: number, equity: number): string | undefined {
  const day = Math.floor(ts / DAY_MS);
  const dayOpen = day === c.day ? c.dayOpenEquity : equity;
  const peak = Math.max(c.peakEquity, equity);
  if (dayOpen > 0 && (dayOpen - equity) / dayOpen >= c.dailyLossLimit) return 'kill-switch: daily loss limit';
  if (peak > 0 && (peak - equity) / peak >= c.maxDrawdown) return 'kill-switch: max drawdown';
  return undefined;
}

/**
 * Whether an equity update can change what the bot decides: a new peak, a new UTC day, or a kill-switch
 * trip while it is running or paused (once stopped, a loss past the limit changes nothing). Any other
 * update changes only the equity it shows, so a driver may leave it out (the engine and the RL
 * environment send these, and the engine a heartbeat besides).
 */
export function equityMatters(state: unknown, c: BotContext, ts: number, equity: number): boolean {
  const mayTrip = state === 'running' || state === 'paused';
  return equity > c.peakEquity || Math.floor(ts / DAY_MS) !== c.day || (mayTrip && killReason(c, ts, equity) !== undefined);
}

/**
 * The bot: stopped → running ⇄ paused → stopping → stopped. Position actors are its children: it spawns
 * one per `position.open` and routes `position.event`s to it by position id. A kill switch (daily loss
 * limit, max drawdown) on `equity.update` stops it; stopping cancels open buys and, with the
 * `liquidate` policy, sells holdings, then waits for the engine's `positions.drained`.
 */
export const botMachine = setup({
  types: {
    context: {} as BotContext,
    events: {} as BotEvent,
    input: {} as BotInput,
  },
  actors: { position: positionMachine },
  actions: {
    /** Effects supplied by the engine. */
    cancelOpenBuys: () => {},
    liquidateHoldings: () => {},
    trackEquity: assign(({ context, event }) => {
      if (event.type !== 'equity.update') return {};
      const day = Math.floor(event.ts / DAY_MS);
      return {
        day,
        dayOpenEquity: day === context.day ? context.dayOpenEquity : event.equity,
        peakEquity: Math.max(context.peakEquity, event.peak ?? event.equity),
        equity: event.equity,
      };
    }),
    recordKill: assign(({ context, event }) => {
      if (event.type !== 'equity.update') return {};
      const reason = killReason(context, event.ts, event.equity) as string;
      // One drop can breach both limits: the drawdown halt (lifted only by bot.reset) holds then too.
      const drawdown = context.peakEquity > 0 && (context.peakEquity - event.equity) / context.peakEquity >= context.maxDrawdown;
      return reason.endsWith('daily loss limit') ? { stopReason: reason, haltedDay: Math.floor(event.ts / DAY_MS), drawdownHalt: context.drawdownHalt || drawdown } : { stopReason: reason, drawdownHalt: true };
    }),
    recordStop: assign(({ event }) => ({ stopReason: event.type === 'bot.stop' ? (event.reason ?? 'stop requested') : 'stopped' })),
    spawnPosition: assign(({ context, event, spawn }) => {
      if (event.type !== 'position.open' || context.positions[event.positionId]) return {};
      // Fields named (an event's `type` is no input) and the record copied by a loop: object rest and
      // spread-then-add are slow on Node 20, and this is a step of every buy.
      const input: PositionInput = { positionId: event.positionId, market: event.market, ackTimeoutMs: event.ackTimeoutMs, buyTimeoutMs: event.buyTimeoutMs };
      const positions: Record<string, ActorRefFrom<typeof positionMachine>> = {};
      for (const id in context.positions) positions[id] = context.positions[id] as ActorRefFrom<typeof positionMachine>;
      positions[event.positionId] = spawn('position', { id: event.positionId, input });
      return { positions };
    }),
    routeToPosition: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'position.event') return;
      const child = context.positions[event.positionId];
      if (child) enqueue.sendTo(child, event.event);
    }),
    removePosition: enqueueActions(({ context, event, enqueue }) => {
      const ids = event.type === 'position.remove' ? [event.positionId] : event.type === 'positions.remove' ? event.positionIds : [];
      const gone = ids.filter((id) => context.positions[id] !== undefined);
      if (gone.length === 0) return;
      for (const id of gone) enqueue(stopChild(id));
      const rest: Record<string, ActorRefFrom<typeof positionMachine>> = {};
      for (const id in context.positions) if (!gone.includes(id)) rest[id] = context.positions[id] as ActorRefFrom<typeof positionMachine>;
      enqueue.assign({ positions: rest });
    }),
    clearDailyHalt: assign({ haltedDay: undefined, stopReason: undefined }),
    clearReset: assign({ drawdownHalt: false, haltedDay: undefined, stopReason: undefined, peakEquity: ({ context }) => context.equity }),
  },
  guards: {
    killSwitch: ({ context, event }) => event.type === 'equity.update' && killReason(context, event.ts, event.equity) !== undefined,
    mayStart: ({ context }) => !context.drawdownHalt && (context.haltedDay === undefined || context.day > context.haltedDay),
    /** Halted by the daily loss limit only, and a new UTC day has begun. */
    dailyHaltOver: ({ context, event }) => event.type === 'equity.update' && !context.drawdownHalt && context.haltedDay !== undefined && Math.floor(event.ts / DAY_MS) > context.haltedDay,
  },
}).createMachine({
  id: 'bot',
  initial: 'stopped',
  context: ({ input }) => ({
    ...input,
    positions: {},
    day: -1,
    dayOpenEquity: 0,
    peakEquity: 0,
    equity: 0,
    stopReason: undefined,
    haltedDay: undefined,
    drawdownHalt: false,
  }),
  on: {
    'position.event': { actions: 'routeToPosition' },
    'position.remove': { actions: 'removePosition' },
    'positions.remove': { actions: 'removePosition' },
  },
  states: {
    stopped: {
      on: {
        'bot.start': { guard: 'mayStart', target: 'running' },
        // A stop asked for while halted for the day (the end of a run, a Ctrl-C) is final: the halt no
        // longer lifts by itself at midnight (the run's last batch would otherwise restart the bot).
        'bot.stop': { actions: ['clearDailyHalt', 'recordStop'] },
        'bot.reset': { actions: 'clearReset' },
        // The daily loss limit halts for the rest of the UTC day: trading resumes by itself the next day.
        'equity.update': [{ guard: 'dailyHaltOver', target: 'running', actions: ['trackEquity', 'clearDailyHalt'] }, { actions: 'trackEquity' }],
      },
    },
    running: {
      on: {
        'bot.pause': { target: 'paused' },
        'bot.stop': { target: 'stopping', actions: 'recordStop' },
        'equity.update': [{ guard: 'killSwitch', target: 'stopping', actions: ['trackEquity', 'recordKill'] }, { actions: 'trackEquity' }],
        'position.open': { actions: 'spawnPosition' },
      },
    },
    paused: {
      on: {
        'bot.resume': { target: 'running' },
        'bot.stop': { target: 'stopping', actions: 'recordStop' },
        'equity.update': [{ guard: 'killSwitch', target: 'stopping', actions: ['trackEquity', 'recordKill'] }, { actions: 'trackEquity' }],
      },
    },
    stopping: {
      entry: [
        'cancelOpenBuys',
        enqueueActions(({ context, enqueue }) => {
          if (context.onStop === 'liquidate') enqueue('liquidateHoldings');
        }),
      ],
      on: {
        'positions.drained': { target: 'stopped' },
        'equity.update': { actions: 'trackEquity' },
      },
    },
  },
});

export type BotMachine = typeof botMachine;
