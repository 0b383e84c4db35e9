import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { saveVersion } from '../../src/ml/registry.js';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../src/ml/feature-vector.js';
import { parseRankerConfig } from '../../src/ml/ranker-config.js';
import { treeArtifacts, type Tree } from '../../src/ml/tree-model.js';

const START = Date.UTC(2024, 0, 1);

/** 5m candles over three days (2024-01-01 … 2024-01-03), one file a coin, made here so a fresh clone can run it. */
function writeCandles(coins: readonly (readonly [string, number, number])[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-ranker-range-'));
  for (const [name, drift, phase] of coins) {
    const rows = ['timestamp,open,high,low,close,volume'];
    let price = 100;
    for (let i = 0; i < 3 * 288; i++) {
      // A slow wave on the drift, out of phase between coins, so their order changes now and then.
      const next = price * (drift + 0.002 * Math.sin(i / 40 + phase));
      rows.push(`${START + i * 300_000},${price},${Math.max(price, next) * 1.001},${Math.min(price, next) * 0.999},${next},${10 + (i % 7)}`);
      price = next;
    }
    writeFileSync(join(dir, `${name}-5m.csv`), `${rows.join('\n')}\n`);
  }
  return dir;
}

/** A small boosted-tree ranker version (stumps on momentum inputs), saved as `ranker train` does. */
async function saveRanker(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-gbm-'));
  const stump = (name: string, value: number): Tree => ({ feature: [FEATURE_NAMES.indexOf(name), -1, -1], threshold: [0, 0, 0], left: [1, 0, 0], right: [2, 0, 0], value: [0, -value, value] });
  const unit = { mean: new Array<number>(FEATURE_COUNT).fill(0), std: new Array<number>(FEATURE_COUNT).fill(1), clip: 5 };
  const span = { from: 0, to: 1 };
  await saveVersion(dir, treeArtifacts({ features: FEATURE_COUNT, trees: [stump('xs_z_mom_10m', 0.8), stump('ret_vwap_1h', 0.3)], time: { w: new Array<number>(FEATURE_COUNT).fill(0), b: 0 } }), { createdAt: '', kind: 'gbm-rank', backend: 'cpu', featureNames: FEATURE_NAMES, sequenceLength: 6, normalizer: unit, calibration: { a: 1, b: 0, center: 0, scale: 1 }, baseRate: 0.4, config: parseRankerConfig({}), data: { paths: [], files: [], firstTs: 0, lastTs: 1 }, spans: { train: span, validation: span, testFrom: 1 }, metrics: {} });
  return dir;
}

const lines = (text: string): Record<string, unknown>[] => text.trim().split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>);
const SET = ['--set', 'features.every=1h', '--set', 'filter.minValue1d=0', '--set', 'filter.minTrades1d=0'];

describe('coinrx ranker rank --timerange', () => {
  it('writes the ranking in force at the range start first, then the changes inside it (one coin: the ranking never changes)', async () => {
    const model = await saveRanker();
    for (const coins of [[['ONE_USDT', 1, 0]], [['UP_USDT', 1, 0], ['DOWN_USDT', 1, Math.PI]]] as const) {
      const dir = writeCandles(coins);
      const all = captureIo();
      expect(await main(['ranker', 'rank', '--data', dir, '--model', model, ...SET], all.io), all.err()).toBe(0);
      const whole = lines(all.out());
      expect(whole.length).toBeGreaterThan(0);
      const cut = captureIo();
      expect(await main(['ranker', 'rank', '--data', dir, '--model', model, ...SET, '--timerange', '20240102-20240102'], cut.io), cut.err()).toBe(0);
      const from = Date.UTC(2024, 0, 2);
      const to = Date.UTC(2024, 0, 3);
      // Brute force: the whole run's last ranking before the range (unless one is set at its start), then those inside it.
      const before = whole.filter((r) => (r['ts'] as number) < from);
      const inside = whole.filter((r) => (r['ts'] as number) >= from && (r['ts'] as number) < to);
      const inForce = inside[0]?.['ts'] === from ? [] : before.slice(-1);
      expect(inForce.length).toBe(1);
      expect(lines(cut.out())).toEqual([...inForce, ...inside]);
      if (coins.length === 1) expect(inside).toEqual([]);
      else expect(inside.length).toBeGreaterThan(0);
    }
  });
});
