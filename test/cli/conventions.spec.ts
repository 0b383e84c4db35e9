import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMAND_ENTRIES } from '../../src/cli/commands/registry.js';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';

async function help(...argv: string[]): Promise<string> {
  const c = captureIo();
  expect(await main([...argv, '--help'], c.io)).toBe(0);
  return c.out();
}

describe('one flag convention, in help and README alike', () => {
  it('data --help shows its action word and the README syntax of --markets', async () => {
    const text = await help('data');
    expect(text).toMatch(/^coinrx data — data download: /);
    expect(text).toMatch(/--markets <BTC,ETH>\.\.\. +markets to download, comma-separated/);
    expect(text).toContain('coinrx data download --exchange upbit --quote KRW --markets BTC,ETH');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain('coinrx data download --since 2024-01-01 [--exchange upbit] [--quote KRW] [--markets BTC,ETH]');
  });

  it("--config is the engine's configuration in every command; the ranker's own settings are --ranker-config", async () => {
    const ranker = await help('ranker');
    expect(ranker).toMatch(/--ranker-config <ranker\.json> +train: ranker configuration/);
    expect(ranker).toMatch(/--config <file\.json> +evaluate\/rank: engine profile/);
    expect(ranker).not.toContain('--profile');
    for (const command of ['backtest', 'demo', 'paper', 'status', 'monitor', 'agent']) expect(await help(command), command).toMatch(/--config <file\.json>/);
    const c = captureIo();
    expect(await main(['ranker', 'train', '--data', 'x', '--config', 'config/backtest-candles.json'], c.io)).toBe(2);
    expect(c.err()).toMatch(/--config does not apply to ranker train \(its settings: --ranker-config ranker\.json\)/);
    // A flag of another ranker subcommand is refused before anything runs, not ignored.
    for (const [argv, said] of [
      [['walk-forward', '--no-backtest'], '--no-backtest applies to ranker evaluate only'],
      [['walk-forward', '--ranker-config', '{}'], '--ranker-config applies to ranker train only'],
      [['evaluate', '--model', 'm', '--ranker-config', '{}'], '--ranker-config applies to ranker train only'],
      [['train', '--model', 'm'], '--model applies to ranker evaluate and rank only'],
      [['rank', '--model', 'm', '--fold', '7d'], '--fold applies to ranker evaluate and walk-forward only'],
    ] as const) {
      const r = captureIo();
      expect(await main(['ranker', ...argv, '--data', 'x'], r.io), argv.join(' ')).toBe(2);
      expect(r.err()).toContain(said);
    }
  });

  it.skipIf(skipWithoutSharedData())('every input a help example names exists: the examples run as written beside ../shared/data', async () => {
    const missing: string[] = [];
    for (const entry of COMMAND_ENTRIES) {
      for (const example of (await entry.load()).examples) {
        const words = example.split(' ');
        words.forEach((word, i) => {
          const value = words[i + 1];
          if (!['--data', '--config', '--space', '--choose'].includes(word) || value === undefined) return;
          const path = value.startsWith('../shared/data') ? sharedData(value.slice('../shared/data'.length)) : new URL(`../../${value}`, import.meta.url).pathname;
          if (!existsSync(path)) missing.push(`${example}: ${word} ${value}`);
        });
      }
    }
    expect(missing).toEqual([]);
  });
});
