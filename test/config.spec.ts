import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../src/config.js';

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('gives sane defaults for an empty configuration', () => {
    const config = parseConfig({});
    expect(config.exchange).toEqual({ id: 'upbit', quote: 'KRW', markets: [] });
    expect(config.features.every).toBe(60_000);
    expect(config.strategy.maxHold).toBe(6 * 3_600_000);
  });

  it('parses durations written as text', () => {
    const config = parseConfig({ features: { every: '5m' }, strategy: { maxHold: '2h', buyTimeout: 1500 } });
    expect(config.features.every).toBe(300_000);
    expect(config.strategy.maxHold).toBe(7_200_000);
    expect(config.strategy.buyTimeout).toBe(1500);
  });

  it('names the path of every bad field and what was expected', () => {
    const error = errorOf(() => parseConfig({ strategy: { takeProfit: -1 }, features: { every: '5 parsecs' }, extra: 1 }));
    expect(error.issues).toEqual([
      expect.stringMatching(/^features\.every: invalid duration "5 parsecs"/),
      expect.stringMatching(/^strategy\.takeProfit: .*>0/),
      'extra: unknown field',
    ]);
    expect(error.message).toContain('strategy.takeProfit');
  });

  it('layers profile file, environment and --set overrides in that order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-config-'));
    const file = join(dir, 'profile.json');
    writeFileSync(file, JSON.stringify({ ranking: { top: 3 }, allocation: { mode: 'score' } }));
    const config = loadConfig({ file, set: ['ranking.top=7', 'strategy.maxHold=30m'], env: { REDIS_URL: 'redis://127.0.0.1:1/0' } });
    expect(config.ranking.top).toBe(7);
    expect(config.allocation.mode).toBe('score');
    expect(config.strategy.maxHold).toBe(1_800_000);
    expect(config.redis.url).toBe('redis://127.0.0.1:1/0');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('fails clearly on an unreadable or invalid profile', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-config-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    expect(errorOf(() => loadConfig({ file: bad })).message).toContain('not valid JSON');
    expect(errorOf(() => loadConfig({ file: join(dir, 'missing.json') })).message).toContain('ENOENT');
    expect(errorOf(() => loadConfig({ set: ['ranking.top'] })).message).toContain('expected path=value');
  });
});
