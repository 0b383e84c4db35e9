import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config.js';
import { paperNode } from '../../src/engine/nodes/paper-node.js';
import { warmUp } from '../../src/engine/warm-up.js';
import { storeFromConfig } from '../../src/store/index.js';

describe('warmUp (a throwaway engine run before a live session connects)', () => {
  it('goes through the order path (buys and sells placed) at a batch a second and at the default minute', () => {
    for (const every of ['1s', '1m']) {
      const run = warmUp(parseConfig({ features: { every } }), 'KRW');
      expect(run.events).toBeGreaterThan(10_000);
      expect(run.orders, every).toBeGreaterThan(0);
      // Exits too: a live session sells from its first minutes, and code first run there is compiled there.
      expect(run.sells, every).toBeGreaterThan(0);
    }
  });

  it('places orders with the paper/live profile too, whose entry gate would wait for closed paper trades', () => {
    const run = warmUp(loadConfig({ file: 'config/default.json' }), 'KRW');
    expect(run.orders).toBeGreaterThan(0);
    expect(run.sells).toBeGreaterThan(0);
  });

  it('leaves nothing behind: the paper node made after it starts from its starting balance, with no position and no result', () => {
    const config = parseConfig({ features: { every: '1s' }, simulator: { initialBalance: 1_000_000 } });
    const store = storeFromConfig(config);
    const kernel = paperNode({ config, quote: 'KRW', store }).start(Date.UTC(2026, 0, 1));
    expect(kernel.engine.openPositions()).toEqual([]);
    expect(kernel.venue.getBalances().filter((b) => b.free + b.locked > 0)).toEqual([{ currency: 'KRW', free: 1_000_000, locked: 0 }]);
    expect(kernel.engine.results).toEqual([]);
  });
});
