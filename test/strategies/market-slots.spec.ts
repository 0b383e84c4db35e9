import { describe, expect, it } from 'vitest';
import { Random } from '../../src/core/random.js';
import { MarketSlots } from '../../strategies/market-slots.js';

describe('MarketSlots', () => {
  it('gives each market its one slot whatever its place in the batch, as a Map would', () => {
    const random = new Random(7);
    const slots = new MarketSlots((market) => ({ market, seen: 0 }));
    const reference = new Map<string, { seen: number }>();
    const universe = Array.from({ length: 12 }, (_, i) => `C${i}/USDT`);
    let live = universe.slice(0, 8);
    for (let batch = 0; batch < 2000; batch++) {
      // Mostly the same order batch after batch; now and then a market appears, goes stale or the order changes.
      const roll = random.next();
      if (roll < 0.05) live = live.filter((_, i) => i !== Math.floor(random.next() * live.length));
      else if (roll < 0.1) live = [...live, universe[Math.floor(random.next() * universe.length)] as string].filter((m, i, all) => all.indexOf(m) === i);
      else if (roll < 0.12) live = [...live].sort(() => random.next() - 0.5);
      live.forEach((market, place) => {
        const slot = slots.at(place, market);
        expect(slot.market).toBe(market);
        slot.seen++;
        const ref = reference.get(market) ?? { seen: 0 };
        ref.seen++;
        reference.set(market, ref);
        expect(slot.seen).toBe(ref.seen);
      });
    }
    for (const market of universe) {
      expect(slots.find(market)?.seen).toBe(reference.get(market)?.seen);
      if (reference.has(market)) expect(slots.of(market)).toBe(slots.find(market));
    }
  });

  it('finds nothing for a market never seen', () => {
    const slots = new MarketSlots((market) => ({ market }));
    expect(slots.find('X/USDT')).toBeUndefined();
    expect(slots.at(0, 'X/USDT')).toBe(slots.find('X/USDT'));
  });
});
