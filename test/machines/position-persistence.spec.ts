import { createActor, type Snapshot } from 'xstate';
import { describe, expect, it } from 'vitest';
import { EventClock } from '../../src/core/clock.js';
import { rearmTimers } from '../../machines/index.js';
import { advance, buy, cancelBuy, ExchangeOrder, INPUT, play, recordingMachine, sell, startPosition, type RecordedEffect, type Step } from './position-fixtures.js';

/**
 * Each case: events that bring a position to a state, then the events that follow. The exchange orders
 * are built up front so the original and the restored actor receive identical event objects.
 */
interface Case {
  readonly state: string;
  readonly before: readonly Step[];
  readonly after: readonly Step[];
  /** Where the events after leave the position. */
  readonly end: string;
}

function cases(): Case[] {
  const list: Case[] = [];

  {
    // buying, partially filled and acknowledged; the buy timeout (on the restored submit time) cancels it.
    const b1 = new ExchangeOrder('p1-b1', 'buy', 100, 2);
    const s2 = new ExchangeOrder('p1-s2', 'sell', 110, 0.5);
    const before = [buy(1_000, 100, 2), b1.accepted(1_100), b1.fill(2_000, 0.5, 100, 0.05)];
    const dup = b1.fill(2_500, 0);
    const after = [dup, advance(1_000 + INPUT.buyTimeoutMs - 1), advance(1_000 + INPUT.buyTimeoutMs), b1.cancelled(61_100), sell(62_000, 110), s2.fill(63_000, 0.5, 110, 0.055)];
    list.push({ state: 'buying', before, after, end: 'settled' });
  }
  {
    // holding: the next sell gets the next client id (the order count is restored).
    const b1 = new ExchangeOrder('p1-b1', 'buy', 100, 2);
    const s2 = new ExchangeOrder('p1-s2', 'sell', 120, 1);
    const s3 = new ExchangeOrder('p1-s3', 'sell', 90, 1);
    const before = [buy(1_000, 100, 2), b1.fill(2_000, 2, 100, 0.2)];
    const after = [sell(3_000, 120, 1), s2.accepted(3_100), s2.fill(4_000, 1, 120, 0.12), sell(5_000, 90), s3.fill(6_000, 0.4), s3.fill(7_000, 0.6, 90, 0.09)];
    list.push({ state: 'holding', before, after, end: 'settled' });
  }
  {
    // selling, unacknowledged: the acknowledgement deadline comes from the restored submit time.
    const b1 = new ExchangeOrder('p1-b1', 'buy', 100, 2);
    const s2 = new ExchangeOrder('p1-s2', 'sell', 110, 2);
    const before = [buy(1_000, 100, 2), b1.fill(2_000, 2, 100, 0.2), sell(10_000, 110)];
    const after = [advance(10_000 + INPUT.ackTimeoutMs - 1), advance(10_000 + INPUT.ackTimeoutMs), s2.queryResult(15_100), s2.fill(16_000, 2, 110, 0.22)];
    list.push({ state: 'selling', before, after, end: 'settled' });
  }
  {
    // cancellingBuy: the cancel deadline comes from the restored cancel time; the answer holds the partial fill.
    const b1 = new ExchangeOrder('p1-b1', 'buy', 100, 2);
    const s2 = new ExchangeOrder('p1-s2', 'sell', 105, 0.75);
    const before = [buy(1_000, 100, 2), b1.accepted(1_100), cancelBuy(2_000)];
    // What the exchange did meanwhile, reported only by the look-up.
    b1.fill(2_050, 0.75, 100, 0.075);
    b1.cancelled(2_060);
    const after = [advance(2_000 + INPUT.ackTimeoutMs - 1), advance(2_000 + INPUT.ackTimeoutMs), b1.queryResult(7_100), sell(8_000, 105), s2.fill(9_000, 0.75)];
    list.push({ state: 'cancellingBuy', before, after, end: 'settled' });
  }
  {
    // unknownSell: the look-up answers "not found"; the position holds and sells again as -s3.
    const b1 = new ExchangeOrder('p1-b1', 'buy', 100, 2);
    const s2 = new ExchangeOrder('p1-s2', 'sell', 110, 2);
    const s3 = new ExchangeOrder('p1-s3', 'sell', 108, 2);
    const before = [buy(1_000, 100, 2), b1.fill(2_000, 2), sell(10_000, 110), advance(15_000)];
    const after = [new ExchangeOrder('p2-s2', 'sell', 110, 2).queryResult(15_050), s2.queryResult(15_100, false), sell(16_000, 108), s3.accepted(16_100), s3.fill(17_000, 2, 108, 0.216)];
    list.push({ state: 'unknownSell', before, after, end: 'settled' });
  }
  return list;
}

interface Observation {
  readonly value: unknown;
  readonly status: string;
  readonly context: unknown;
  readonly output: unknown;
  readonly effects: readonly RecordedEffect[];
}

describe('position persistence', () => {
  it.each(cases())('$state: the snapshot survives JSON and the restored actor behaves as the original', ({ state, before, after, end }) => {
    const original = startPosition();
    original.send(...before);
    expect(original.state()).toBe(state);

    const persisted: Snapshot<unknown> = original.actor.getPersistedSnapshot();
    const json = JSON.stringify(persisted);
    const restoredEffects: RecordedEffect[] = [];
    // A restart: a new clock at the time of the checkpoint, the timers re-armed for what is left of them.
    const clock = new EventClock(original.clock.now());
    const restored = createActor(recordingMachine(restoredEffects), { snapshot: JSON.parse(json) as Snapshot<unknown>, input: INPUT, clock }).start();
    rearmTimers(restored, clock.now());
    expect(String(restored.getSnapshot().value)).toBe(state);
    expect(restored.getSnapshot().context).toEqual(original.actor.getSnapshot().context);
    expect(JSON.stringify(restored.getPersistedSnapshot())).toBe(json);
    // Restoring does not redo the effects of the transitions already taken.
    expect(restoredEffects).toEqual([]);

    const mark = original.effects.length;
    const observe = (actor: typeof restored, effects: readonly RecordedEffect[]): Observation => {
      const s = actor.getSnapshot();
      return { value: s.value, status: s.status, context: s.context, output: s.output, effects: [...effects] };
    };
    const seenOriginal: Observation[] = [];
    const seenRestored: Observation[] = [];
    for (const e of after) {
      original.send(e);
      play(restored, clock, [e]);
      seenOriginal.push(observe(original.actor, original.effects.slice(mark)));
      seenRestored.push(observe(restored, restoredEffects));
    }
    expect(seenRestored).toEqual(seenOriginal);
    expect(String(restored.getSnapshot().value)).toBe(end);
    // The walk went through state changes and effects, so the comparison above compared something.
    expect(new Set(seenOriginal.map((o) => String(o.value))).size).toBeGreaterThan(1);
    expect(restoredEffects.length).toBeGreaterThan(0);
  });

  it('a snapshot restored in the middle of a round trip gives the same result as the uninterrupted run', () => {
    const b1 = new ExchangeOrder('p1-b1', 'buy', 100, 2);
    const s2 = new ExchangeOrder('p1-s2', 'sell', 110, 2);
    const events = [buy(1_000, 100, 2), b1.fill(2_000, 1, 100, 0.1), b1.fill(3_000, 1, 99, 0.099), sell(4_000, 110), s2.fill(5_000, 1.5, 110, 0.165), s2.fill(6_000, 0.5, 112, 0.056)];
    const straight = startPosition();
    straight.send(...events);

    let effects: RecordedEffect[] = [];
    let clock = new EventClock();
    let actor = createActor(recordingMachine(effects), { input: INPUT, clock }).start();
    for (const e of events) {
      play(actor, clock, [e]);
      // Persist and restore after every event, as a crash-restart after each one would.
      const snapshot = JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) as Snapshot<unknown>;
      effects = [];
      clock = new EventClock(clock.now());
      actor = createActor(recordingMachine(effects), { snapshot, input: INPUT, clock }).start();
      rearmTimers(actor, clock.now());
    }
    expect(actor.getSnapshot().status).toBe('done');
    expect(actor.getSnapshot().output).toEqual(straight.actor.getSnapshot().output);
  });

  it('XState persists no delayed event: restored without rearmTimers a position waiting for an acknowledgement never times out; re-armed it does, at the original deadline', () => {
    const original = startPosition();
    original.send(buy(1_000, 100, 2), advance(3_000));
    const snapshot = (): Snapshot<unknown> => JSON.parse(JSON.stringify(original.actor.getPersistedSnapshot())) as Snapshot<unknown>;
    const restart = (rearm: boolean) => {
      const effects: RecordedEffect[] = [];
      const clock = new EventClock(3_000);
      const actor = createActor(recordingMachine(effects), { snapshot: snapshot(), input: INPUT, clock }).start();
      if (rearm) rearmTimers(actor, clock.now());
      return { actor, clock, effects };
    };
    const bare = restart(false);
    bare.clock.advanceTo(10 ** 9);
    expect(String(bare.actor.getSnapshot().value)).toBe('buying');
    expect(bare.effects).toEqual([]);

    const rearmed = restart(true);
    rearmed.clock.advanceTo(1_000 + INPUT.ackTimeoutMs - 1);
    expect(String(rearmed.actor.getSnapshot().value)).toBe('buying');
    rearmed.clock.advanceTo(1_000 + INPUT.ackTimeoutMs);
    expect(String(rearmed.actor.getSnapshot().value)).toBe('unknownBuy');
    expect(rearmed.effects).toEqual([expect.objectContaining({ kind: 'query', clientId: 'p1-b1' })]);
    // And the look-up's own retry runs on from there.
    rearmed.clock.advanceTo(1_000 + 2 * INPUT.ackTimeoutMs);
    expect(rearmed.effects.map((e) => e.kind)).toEqual(['query', 'query']);
  });

  it('a timer overdue at the restart fires at the clock\'s first step', () => {
    const original = startPosition();
    original.send(buy(1_000, 100, 2));
    const clock = new EventClock(1_000 + 10 * INPUT.ackTimeoutMs);
    const effects: RecordedEffect[] = [];
    const actor = createActor(recordingMachine(effects), { snapshot: JSON.parse(JSON.stringify(original.actor.getPersistedSnapshot())) as Snapshot<unknown>, input: INPUT, clock }).start();
    rearmTimers(actor, clock.now());
    expect(String(actor.getSnapshot().value)).toBe('buying');
    clock.advanceTo(clock.now());
    expect(String(actor.getSnapshot().value)).toBe('unknownBuy');
  });
});
