import { describe, expect, it } from 'vitest';
import type { AnyActorRef } from 'xstate';
import { parseConfig } from '../../src/config.js';
import type { MarketSymbol } from '../../src/core/index.js';
import { createBacktest } from '../../src/engine/backtest.js';
import { generateMarket } from '../../src/market-data/generator.js';
import { watchPositions } from '../../src/report/position-transitions.js';

const START = Date.UTC(2024, 0, 1);

/** A run that buys and cancels every second (no volume filter, no bear-market pause), as the latency bench's. */
function run(maxPositions: number) {
  const config = parseConfig({ features: { every: '1s' }, filter: { minValue1d: 0, minTrades1d: 0 }, strategy: { skipBearMarket: false }, allocation: { maxPositions } });
  const bt = createBacktest(config, 'KRW', START);
  const markets = Array.from({ length: 40 }, (_, i) => `S${i}/KRW` as MarketSymbol);
  return { bt, events: generateMarket({ seed: 3, markets, start: START, durationMs: 60_000, stepMs: 250, tradesPerSecond: 4 }) };
}

interface Child {
  readonly value: unknown;
  readonly context: { readonly positionId: string; readonly market: string };
}

describe('spare positions (idle position actors spawned ahead of the buys, off the order path)', () => {
  it('take the ids the buys would have; never reach the checkpoint, the store, the open positions or the dashboard', () => {
    const { bt, events } = run(6);
    const engine = bt.engine;
    const started: { id: string; market: string; state: string }[] = [];
    const transitions: { id: string; from: string; to: string }[] = [];
    watchPositions(engine.bot, {
      onPositionStarted: (id, market, state) => void started.push({ id, market, state }),
      onPositionTransition: (id, _market, t) => void transitions.push({ id, from: t.from ?? '', to: t.to }),
      onPositionDone: () => {},
    }, (e) => e.type);
    let sawSpares = 0;
    let buys = 0;
    engine.listen({ onOrderCommand: (c) => void (c.type === 'create' && c.side === 'buy' && buys++) });
    let i = 0;
    for (const event of events) {
      bt.feed(event);
      // Checked every 20th event (a checkpoint each event makes the test slow).
      if (i++ % 20 !== 0) continue;
      const children = Object.values(engine.bot.getSnapshot().children as Record<string, AnyActorRef>).map((r) => r.getSnapshot() as Child);
      const spares = children.filter((c) => c.context.market === '');
      if (spares.length === 0) continue;
      sawSpares++;
      // Spares are idle, and no more than the position slots.
      expect(spares.every((c) => c.value === 'idle')).toBe(true);
      const open = engine.openPositions();
      expect(spares.length).toBeLessThanOrEqual(6);
      // What is persisted (a checkpoint, the store's bot) holds the positions and nothing else.
      const checkpoint = JSON.parse(JSON.stringify(engine.checkpoint())) as { bot: { children: Record<string, { snapshot: Child }>; context: { positions: Record<string, unknown> } } };
      const kept = Object.keys(checkpoint.bot.children);
      expect(kept.sort()).toEqual(open.map((p) => p.positionId).sort());
      expect(Object.keys(checkpoint.bot.context.positions).sort()).toEqual(kept.sort());
      expect(Object.values(checkpoint.bot.children).every((c) => c.snapshot.context.market !== '')).toBe(true);
      expect(open.every((p) => p.market !== '')).toBe(true);
    }
    expect(sawSpares).toBeGreaterThan(100);
    expect(buys).toBeGreaterThan(10);
    // Ids in order with no gap: position n is the run's n-th buy, as when each was spawned at its buy.
    const ids = [...new Set(transitions.map((t) => t.id))];
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => `${engine.bot.getSnapshot().context.botId}-${i + 1}`));
    expect(ids.length).toBe(buys);
    // The dashboard saw each position start idle and buy, and no spare.
    expect(started.every((s) => s.market !== '' && s.state === 'idle')).toBe(true);
    expect(started.map((s) => s.id)).toEqual(ids);
    for (const id of ids) expect(transitions.find((t) => t.id === id)).toMatchObject({ from: 'idle', to: 'buying' });
  });

  it('a run restored from a checkpoint with spares ends as the uninterrupted run', async () => {
    const a = run(6);
    const all = [...a.events];
    for (const e of all) a.bt.feed(e);
    const whole = a.bt.engine.finish();
    const b = run(6);
    const cut = Math.floor(all.length / 2);
    for (const e of all.slice(0, cut)) b.bt.feed(e);
    expect(Object.values(b.bt.engine.bot.getSnapshot().children as Record<string, AnyActorRef>).some((r) => (r.getSnapshot() as Child).context.market === '')).toBe(true);
    const checkpoint = JSON.parse(JSON.stringify(b.bt.checkpoint(cut))) as ReturnType<typeof b.bt.checkpoint>;
    const c = createBacktest(b.bt.config, 'KRW', START, undefined, checkpoint);
    for (const e of all.slice(0, cut)) c.warm(e);
    await c.kernel.start();
    c.kernel.resume();
    expect(c.engine.openPositions().map((p) => p.positionId)).toEqual(b.bt.engine.openPositions().map((p) => p.positionId));
    for (const e of all.slice(cut)) c.feed(e);
    expect(c.engine.finish().open.map((p) => p.positionId)).toEqual(whole.open.map((p) => p.positionId));
    expect(c.engine.results).toEqual(a.bt.engine.results);
    expect(c.engine.settled).toEqual(a.bt.engine.settled);
  });
});
