import { createActor, type Snapshot } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { PositionEvent } from '../../machines/index.js';
import { buy, cancelBuy, ExchangeOrder, INPUT, recordingMachine, sell, startPosition, tick, type RecordedEffect } from './position-fixtures.js';

/**
 * Each case: events that bring a position to a state, then the events that follow. The exchange orders
 * are built up front so the original and the restored actor receive identical event objects.
 */
interface Case {
  readonly state: string;
  readonly before: readonly PositionEvent[];
  readonly after: readonly PositionEvent[];
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
    const after = [dup, tick(1_000 + INPUT.buyTimeoutMs - 1), tick(1_000 + INPUT.buyTimeoutMs), b1.cancelled(61_100), sell(62_000, 110), s2.fill(63_000, 0.5, 110, 0.055)];
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
    const after = [tick(10_000 + INPUT.ackTimeoutMs - 1), tick(10_000 + INPUT.ackTimeoutMs), s2.queryResult(15_100), s2.fill(16_000, 2, 110, 0.22)];
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
    const after = [tick(2_000 + INPUT.ackTimeoutMs - 1), tick(2_000 + INPUT.ackTimeoutMs), b1.queryResult(7_100), sell(8_000, 105), s2.fill(9_000, 0.75)];
    list.push({ state: 'cancellingBuy', before, after, end: 'settled' });
  }
  {
    // unknownSell: the look-up answers "not found"; the position holds and sells again as -s3.
    const b1 = new ExchangeOrder('p1-b1', 'buy', 100, 2);
    const s2 = new ExchangeOrder('p1-s2', 'sell', 110, 2);
    const s3 = new ExchangeOrder('p1-s3', 'sell', 108, 2);
    const before = [buy(1_000, 100, 2), b1.fill(2_000, 2), sell(10_000, 110), tick(15_000)];
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
    const restored = createActor(recordingMachine(restoredEffects), { snapshot: JSON.parse(json) as Snapshot<unknown>, input: INPUT }).start();
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
      original.actor.send(e);
      restored.send(e);
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
    let actor = createActor(recordingMachine(effects), { input: INPUT }).start();
    for (const e of events) {
      actor.send(e);
      // Persist and restore after every event, as a crash-restart after each one would.
      const snapshot = JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) as Snapshot<unknown>;
      effects = [];
      actor = createActor(recordingMachine(effects), { snapshot, input: INPUT }).start();
    }
    expect(actor.getSnapshot().status).toBe('done');
    expect(actor.getSnapshot().output).toEqual(straight.actor.getSnapshot().output);
  });
});
