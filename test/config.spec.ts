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
    expect(config.exchange).toEqual({ id: 'upbit', quote: 'KRW', markets: [], rulesEvery: 300_000 });
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

  it('rejects a misspelled field at every level, in --set and in profile files, naming the nearest field', () => {
    expect(errorOf(() => loadConfig({ set: ['allocation.maxPosition=3'] })).issues).toEqual(['allocation.maxPosition: unknown field (did you mean allocation.maxPositions?)']);
    expect(errorOf(() => loadConfig({ set: ['strategy.takeprofit=0.5'] })).issues).toEqual(['strategy.takeprofit: unknown field (did you mean strategy.takeProfit?)']);
    expect(errorOf(() => loadConfig({ set: ['log.levle=debug'] })).issues).toEqual(['log.levle: unknown field (did you mean log.level?)']);
    // Nothing close: no suggestion rather than a wrong one.
    expect(errorOf(() => loadConfig({ set: ['simulator.colour=red'] })).issues).toEqual(['simulator.colour: unknown field']);
    // A section's field written at the top: its place.
    expect(errorOf(() => loadConfig({ set: ['fillModel.participation=0.1'] })).issues).toEqual(['fillModel: unknown field (did you mean simulator.fillModel?)']);
    expect(errorOf(() => loadConfig({ set: ['maxPositions=2'] })).issues).toEqual(['maxPositions: unknown field (did you mean allocation.maxPositions?)']);
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-config-'));
    const file = join(dir, 'profile.json');
    writeFileSync(file, JSON.stringify({ bot: { maxDrawDown: 0.1, dailyLossLimit: 0.02 }, exchange: { quote: 'USDT', market: ['BTC/USDT'] } }));
    expect(errorOf(() => loadConfig({ file })).issues).toEqual(['exchange.market: unknown field (did you mean exchange.markets?)', 'bot.maxDrawDown: unknown field (did you mean bot.maxDrawdown?)']);
  });

  it('names the environment variable a bad value came from, unless --set replaced it', () => {
    expect(errorOf(() => loadConfig({ env: { LOG_LEVEL: 'loud' } })).issues).toEqual([expect.stringMatching(/^log\.level \(from LOG_LEVEL\): Invalid option/)]);
    expect(errorOf(() => loadConfig({ env: { LOG_LEVEL: 'loud' }, set: ['log.level=verbose'] })).issues).toEqual([expect.stringMatching(/^log\.level: Invalid option/)]);
    expect(loadConfig({ env: { LOG_LEVEL: 'loud' }, set: ['log.level=warn'] }).log.level).toBe('warn');
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
