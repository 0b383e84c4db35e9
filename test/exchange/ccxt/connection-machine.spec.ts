import { createActor, SimulatedClock } from 'xstate';
import { describe, expect, it } from 'vitest';
import { backoffDelay, connectionMachine } from '../../../machines/connection-machine.js';

const input = { initialDelayMs: 100, maxDelayMs: 1_000, factor: 2, jitter: 0, maxAttempts: 0, random: () => 0.5 };

function start(overrides: Partial<typeof input> = {}) {
  const effects: string[] = [];
  const clock = new SimulatedClock();
  const machine = connectionMachine.provide({
    actions: {
      openSocket: () => effects.push('open'),
      closeSocket: () => effects.push('close'),
      subscribe: () => effects.push('subscribe'),
    },
  });
  const actor = createActor(machine, { input: { ...input, ...overrides }, clock });
  actor.start();
  return { actor, clock, effects, state: () => String(actor.getSnapshot().value) };
}

describe('connection machine', () => {
  it('backoff delays grow exponentially, cap, and jitter within [base·(1-j), base]', () => {
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(input, a, () => 0))).toEqual([100, 200, 400, 800, 1_000]);
    expect(backoffDelay({ ...input, jitter: 1 }, 3, () => 0.25)).toBe(100);
    expect(backoffDelay({ ...input, jitter: 0.5 }, 1, () => 0)).toBe(50);
  });

  it('connects, subscribes on open, backs off on a drop or stall, and reconnects when the delay passes', () => {
    const { actor, clock, effects, state } = start();
    expect(state()).toBe('stopped');
    actor.send({ type: 'connection.start' });
    expect(state()).toBe('connecting');
    actor.send({ type: 'connection.opened' });
    expect(state()).toBe('open');
    expect(effects).toEqual(['close', 'open', 'subscribe']);
    actor.send({ type: 'connection.stalled' });
    expect(state()).toBe('backoff');
    expect(actor.getSnapshot().context).toMatchObject({ attempt: 1, delayMs: 100, lastReason: 'stalled' });
    clock.increment(99);
    expect(state()).toBe('backoff');
    clock.increment(1);
    expect(state()).toBe('connecting');
    actor.send({ type: 'connection.closed', reason: 'refused' });
    expect(actor.getSnapshot().context).toMatchObject({ attempt: 2, delayMs: 200 });
    clock.increment(200);
    actor.send({ type: 'connection.opened' });
    // Open is not yet success: a subscription refused now backs off from the third delay, not the first.
    expect(actor.getSnapshot().context).toMatchObject({ attempt: 2, opens: 2 });
    expect(effects.filter((e) => e === 'subscribe')).toHaveLength(2);
    actor.send({ type: 'connection.closed', reason: 'subscription refused' });
    expect(actor.getSnapshot().context).toMatchObject({ attempt: 3, delayMs: 400, lastReason: 'subscription refused' });
    clock.increment(400);
    actor.send({ type: 'connection.opened' });
    actor.send({ type: 'connection.live' });
    expect(actor.getSnapshot().context).toMatchObject({ attempt: 0, opens: 3 });
    actor.send({ type: 'connection.stalled' });
    expect(actor.getSnapshot().context).toMatchObject({ attempt: 1, delayMs: 100 });
    clock.increment(100);
    actor.send({ type: 'connection.stop' });
    expect(state()).toBe('stopped');
  });

  it('gives up after maxAttempts failures and restarts on connection.start', () => {
    const { actor, clock, state } = start({ maxAttempts: 2 });
    actor.send({ type: 'connection.start' });
    actor.send({ type: 'connection.closed', reason: 'x' });
    clock.increment(100);
    actor.send({ type: 'connection.closed', reason: 'y' });
    expect(state()).toBe('failed');
    actor.send({ type: 'connection.start' });
    expect(state()).toBe('connecting');
  });
});
