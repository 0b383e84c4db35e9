import { createActor, type Actor, type AnyActorRef } from 'xstate';
import { describe, expect, it } from 'vitest';
import { EventClock } from '../../src/core/clock.js';
import { DAY_MS, HOUR_MS } from '../../src/core/index.js';
import { botMachine, type BotEvent, type BotInput, type PositionEvent } from '../../machines/index.js';
import { transitionKey, transitionRows } from './machine-table.js';
import { buy, cancelBuy, ExchangeOrder, INPUT as POSITION, recordingMachine, type RecordedEffect } from './position-fixtures.js';

const INPUT: BotInput = { botId: 'bot1', dailyLossLimit: 0.05, maxDrawdown: 0.1, onStop: 'keep' };

/** Transitions of the bot taken by the tests of this file (checked against the definition at the end). */
const taken = new Set<string>();

function startBot(input: Partial<BotInput> = {}) {
  const calls: string[] = [];
  const effects: RecordedEffect[] = [];
  const machine = botMachine.provide({
    actions: { cancelOpenBuys: () => void calls.push('cancelOpenBuys'), liquidateHoldings: () => void calls.push('liquidateHoldings') },
    actors: { position: recordingMachine(effects) },
  });
  // The positions' timers run on an event clock that these tests never move (no wall-clock timer is left behind).
  const actor: Actor<typeof machine> = createActor(machine, {
    input: { ...INPUT, ...input },
    clock: new EventClock(),
    inspect: (e) => {
      if (e.type === '@xstate.microstep' && e.actorRef === actor) for (const t of e._transitions) taken.add(transitionKey(t));
    },
  });
  actor.start();
  return {
    actor,
    calls,
    effects,
    send: (...events: BotEvent[]) => {
      for (const e of events) actor.send(e);
    },
    state: () => String(actor.getSnapshot().value),
    ctx: () => actor.getSnapshot().context,
    child: (id: string) => actor.getSnapshot().children[id] as AnyActorRef | undefined,
  };
}

/** Equity at `hour` o'clock UTC of day `day` (day 0 = 1970-01-01; only the day boundaries matter). */
const equity = (day: number, hour: number, value: number): BotEvent => ({ type: 'equity.update', ts: day * DAY_MS + hour * HOUR_MS, equity: value });
const start: BotEvent = { type: 'bot.start' };
const pause: BotEvent = { type: 'bot.pause' };
const resume: BotEvent = { type: 'bot.resume' };
const stop = (reason?: string): BotEvent => ({ type: 'bot.stop', ...(reason === undefined ? {} : { reason }) });
const reset: BotEvent = { type: 'bot.reset' };
const drained: BotEvent = { type: 'positions.drained' };
const open = (positionId: string): BotEvent => ({ type: 'position.open', ...POSITION, positionId });
const toPosition = (positionId: string, event: PositionEvent): BotEvent => ({ type: 'position.event', positionId, event });
const remove = (positionId: string): BotEvent => ({ type: 'position.remove', positionId });

describe('bot: lifecycle', () => {
  it('stopped → running ⇄ paused → stopping → stopped', () => {
    const b = startBot();
    expect(b.state()).toBe('stopped');
    b.send(start);
    expect(b.state()).toBe('running');
    b.send(pause);
    expect(b.state()).toBe('paused');
    b.send(resume);
    expect(b.state()).toBe('running');
    b.send(pause, stop('operator'));
    expect(b.state()).toBe('stopping');
    expect(b.ctx().stopReason).toBe('operator');
    b.send(drained);
    expect(b.state()).toBe('stopped');
    b.send(start);
    expect(b.state()).toBe('running');
    b.send(stop());
    expect(b.ctx().stopReason).toBe('stop requested');
  });

  it('ignores events that do not apply to the state', () => {
    const b = startBot();
    b.send(pause, resume, stop(), drained);
    expect(b.state()).toBe('stopped');
    expect(b.calls).toEqual([]);
    b.send(start, resume, start, drained);
    expect(b.state()).toBe('running');
    b.send(pause, pause, start);
    expect(b.state()).toBe('paused');
    b.send(stop(), start, pause, resume, stop('again'));
    expect(b.state()).toBe('stopping');
    expect(b.ctx().stopReason).toBe('stop requested');
  });
});

describe('bot: stop policy', () => {
  it('keep: stopping cancels the open buys and keeps the holdings', () => {
    const b = startBot({ onStop: 'keep' });
    b.send(start, stop());
    expect(b.calls).toEqual(['cancelOpenBuys']);
    // Equity keeps being tracked while stopping, without redoing the stop actions.
    b.send(equity(0, 1, 100), equity(0, 2, 50));
    expect(b.state()).toBe('stopping');
    expect(b.calls).toEqual(['cancelOpenBuys']);
    expect(b.ctx().equity).toBe(50);
    b.send(drained);
    expect(b.calls).toEqual(['cancelOpenBuys']);
  });

  it('liquidate: stopping cancels the open buys, then sells the holdings', () => {
    const b = startBot({ onStop: 'liquidate' });
    b.send(start, pause, stop());
    expect(b.calls).toEqual(['cancelOpenBuys', 'liquidateHoldings']);
  });

  it('the kill switch applies the same policy', () => {
    const keep = startBot({ onStop: 'keep' });
    keep.send(equity(0, 0, 100), start, equity(0, 1, 90));
    expect(keep.state()).toBe('stopping');
    expect(keep.calls).toEqual(['cancelOpenBuys']);
    const liquidate = startBot({ onStop: 'liquidate' });
    liquidate.send(equity(0, 0, 100), start, equity(0, 1, 90));
    expect(liquidate.calls).toEqual(['cancelOpenBuys', 'liquidateHoldings']);
  });
});

describe('bot: kill switch', () => {
  it('daily loss limit: stops at the limit from the day\'s opening equity and resumes by itself on the next UTC day', () => {
    const b = startBot();
    b.send(equity(0, 0, 100), start, equity(0, 5, 96));
    expect(b.state()).toBe('running');
    b.send(equity(0, 6, 95));
    expect(b.state()).toBe('stopping');
    expect(b.ctx()).toMatchObject({ stopReason: 'kill-switch: daily loss limit', haltedDay: 0, drawdownHalt: false });
    b.send(drained, start, equity(0, 23, 95.5), start);
    expect(b.state()).toBe('stopped');
    b.send(equity(1, 0, 95.5));
    expect(b.state()).toBe('running');
    expect(b.ctx()).toMatchObject({ haltedDay: undefined, stopReason: undefined, day: 1, dayOpenEquity: 95.5 });
    // The new day opened at 95.5: 5 % below that (not below yesterday's 100) trips it again.
    b.send(equity(1, 1, 91));
    expect(b.state()).toBe('running');
    b.send(equity(1, 2, 90.7));
    expect(b.state()).toBe('stopping');
  });

  it('a stop asked for while halted for the day is final: the next UTC day does not restart the bot (the end of a run, a Ctrl-C)', () => {
    const b = startBot();
    b.send(equity(0, 0, 100), start, equity(0, 6, 95), drained);
    expect(b.state()).toBe('stopped');
    b.send(stop('end of data'));
    expect(b.ctx()).toMatchObject({ stopReason: 'end of data', haltedDay: undefined });
    b.send(equity(1, 0, 95));
    expect(b.state()).toBe('stopped');
    expect(b.ctx().stopReason).toBe('end of data');
  });

  it('the daily loss is measured from each day\'s opening equity, not from the peak', () => {
    const b = startBot({ maxDrawdown: 0.5 });
    b.send(equity(0, 0, 100), start, equity(0, 12, 96), equity(1, 0, 96), equity(1, 12, 92), equity(2, 0, 92), equity(2, 12, 88));
    expect(b.state()).toBe('running');
    expect(b.ctx()).toMatchObject({ day: 2, dayOpenEquity: 92, peakEquity: 100, equity: 88 });
  });

  it('max drawdown: stops at the limit from the peak and needs bot.reset to restart', () => {
    const b = startBot({ dailyLossLimit: 0.05, maxDrawdown: 0.1 });
    b.send(equity(0, 0, 100), start, equity(0, 12, 104), equity(1, 0, 100), equity(2, 0, 97), equity(3, 0, 94));
    expect(b.state()).toBe('running');
    b.send(equity(3, 12, 93.5)); // 10.1 % below the peak of 104, 0.5 % on the day
    expect(b.state()).toBe('stopping');
    expect(b.ctx()).toMatchObject({ stopReason: 'kill-switch: max drawdown', drawdownHalt: true, haltedDay: undefined });
    b.send(drained, equity(4, 0, 94), equity(30, 0, 95), start);
    expect(b.state()).toBe('stopped');
    b.send(reset);
    expect(b.ctx()).toMatchObject({ drawdownHalt: false, stopReason: undefined, peakEquity: 95 });
    b.send(start);
    expect(b.state()).toBe('running');
    // The peak restarts from the equity at the reset.
    b.send(equity(30, 1, 94));
    expect(b.state()).toBe('running');
  });

  it('a drop breaching both limits at once needs bot.reset: the next day does not lift the drawdown halt', () => {
    const b = startBot({ dailyLossLimit: 0.05, maxDrawdown: 0.2 });
    b.send(equity(0, 0, 100), start, equity(0, 1, 75));
    expect(b.state()).toBe('stopping');
    expect(b.ctx()).toMatchObject({ stopReason: 'kill-switch: daily loss limit', haltedDay: 0, drawdownHalt: true });
    b.send(drained, equity(1, 0, 75));
    expect(b.state()).toBe('stopped');
    b.send(start, equity(2, 0, 75), start);
    expect(b.state()).toBe('stopped');
    b.send(reset, start);
    expect(b.state()).toBe('running');
  });

  it('bot.reset is the operator override: it lifts a daily halt too', () => {
    const b = startBot();
    b.send(equity(0, 0, 100), start, equity(0, 1, 94), drained, start);
    expect(b.state()).toBe('stopped');
    b.send(reset, start);
    expect(b.state()).toBe('running');
  });

  it('trips while paused', () => {
    const b = startBot();
    b.send(equity(0, 0, 100), start, pause, equity(0, 1, 96));
    expect(b.state()).toBe('paused');
    expect(b.ctx().equity).toBe(96);
    b.send(equity(0, 2, 94.9));
    expect(b.state()).toBe('stopping');
    expect(b.ctx().stopReason).toBe('kill-switch: daily loss limit');
  });

  it('is not checked while stopped: the bot just tracks equity there, and a new day does not start a bot stopped by hand', () => {
    const b = startBot();
    b.send(start, stop('operator'), drained);
    b.send(equity(0, 0, 100), equity(0, 1, 50), equity(1, 0, 50));
    expect(b.state()).toBe('stopped');
    expect(b.ctx()).toMatchObject({ haltedDay: undefined, drawdownHalt: false, equity: 50, peakEquity: 100 });
    b.send(start);
    expect(b.state()).toBe('running');
  });
});

describe('bot: positions', () => {
  it('position.open spawns a position actor while running; a second open of the same id keeps the first', () => {
    const b = startBot();
    b.send(open('p1'));
    expect(b.child('p1')).toBeUndefined();
    b.send(start, open('p1'));
    const p1 = b.child('p1');
    expect(p1).toBeDefined();
    expect(b.ctx().positions.p1).toBe(p1);
    expect(p1!.getSnapshot().context).toMatchObject({ positionId: 'p1', market: 'BTC/KRW', ackTimeoutMs: 5_000, buyTimeoutMs: 60_000 });
    b.send(toPosition('p1', buy(1_000, 100, 2)), open('p1'));
    expect(b.child('p1')).toBe(p1);
    expect(p1!.getSnapshot().value).toBe('buying');
    b.send(pause, open('p2'));
    expect(b.child('p2')).toBeUndefined();
  });

  it('position.event goes to that position only; an unknown id is ignored', () => {
    const b = startBot();
    b.send(start, open('p1'), open('p2'), toPosition('p1', buy(1_000, 100, 2)), toPosition('p9', buy(1_000, 100, 2)));
    expect(b.child('p1')!.getSnapshot().value).toBe('buying');
    expect(b.child('p2')!.getSnapshot().value).toBe('idle');
    expect(b.effects).toEqual([{ kind: 'place', positionId: 'p1', market: 'BTC/KRW', clientId: 'p1-b1', side: 'buy', price: 100, amount: 2 }]);
  });

  it('routes position events while stopping and stopped, so cancels and fills are still handled', () => {
    const b = startBot();
    b.send(start, open('p1'), toPosition('p1', buy(1_000, 100, 2)), stop());
    expect(b.calls).toEqual(['cancelOpenBuys']);
    // The engine answers cancelOpenBuys by sending decision.cancelBuy to each buying position.
    b.send(toPosition('p1', cancelBuy(2_000)));
    expect(b.child('p1')!.getSnapshot().value).toBe('cancellingBuy');
    b.send(drained);
    const b1 = new ExchangeOrder('p1-b1', 'buy', 100, 2);
    b1.fill(2_050, 1);
    b.send(toPosition('p1', b1.cancelled(2_100)));
    expect(b.state()).toBe('stopped');
    expect(b.child('p1')!.getSnapshot().value).toBe('holding');
    expect(b.effects.map((e) => `${e.kind} ${e.clientId}`)).toEqual(['place p1-b1', 'cancel p1-b1']);
  });

  it('position.remove stops the position and forgets it; the id can be opened again', () => {
    const b = startBot();
    b.send(start, open('p1'), open('p2'), toPosition('p1', buy(1_000, 100, 2)));
    const p1 = b.child('p1')!;
    b.send(remove('p1'));
    expect(p1.getSnapshot().status).toBe('stopped');
    expect(b.child('p1')).toBeUndefined();
    expect(Object.keys(b.ctx().positions)).toEqual(['p2']);
    b.send(toPosition('p1', cancelBuy(2_000)), remove('p9'));
    expect(b.effects).toHaveLength(1);
    expect(Object.keys(b.ctx().positions)).toEqual(['p2']);
    b.send(open('p1'));
    expect(b.child('p1')).not.toBe(p1);
    expect(b.child('p1')!.getSnapshot().value).toBe('idle');
  });

  it('positions.remove removes each position listed, in one step; an unknown id is ignored', () => {
    const b = startBot();
    b.send(start, open('p1'), open('p2'), open('p3'));
    const p1 = b.child('p1')!;
    const p3 = b.child('p3')!;
    b.send({ type: 'positions.remove', positionIds: ['p1', 'p3', 'p9'] });
    expect(p1.getSnapshot().status).toBe('stopped');
    expect(p3.getSnapshot().status).toBe('stopped');
    expect(Object.keys(b.ctx().positions)).toEqual(['p2']);
    expect(Object.keys(b.actor.getSnapshot().children)).toEqual(['p2']);
    b.send({ type: 'positions.remove', positionIds: ['p9'] }, open('p1'));
    expect(Object.keys(b.ctx().positions)).toEqual(['p2', 'p1']);
    expect(b.child('p1')).not.toBe(p1);
  });

  it('a settled position stays until removed and reports its result', () => {
    const b = startBot();
    b.send(start, open('p1'), toPosition('p1', { type: 'position.close', ts: 500, reason: 'test' }));
    const p1 = b.child('p1')!;
    expect(p1.getSnapshot().status).toBe('done');
    expect(p1.getSnapshot().output).toMatchObject({ positionId: 'p1', reason: 'test', pnl: 0 });
    expect(b.state()).toBe('running');
    b.send(remove('p1'));
    expect(b.ctx().positions).toEqual({});
  });
});

describe('bot: coverage', () => {
  it('the tests above took every transition of the bot definition', () => {
    expect([...taken].sort()).toEqual(transitionRows(botMachine).map((r) => r.key).sort());
  });
});
