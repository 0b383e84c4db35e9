import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { cleanSpanOf, decideOverlap } from '../../src/engine/model-spans.js';

const CLEAN = Date.UTC(2021, 1, 28, 12);
const clean = { from: CLEAN, what: 'ranking model models/v2' };
const day = (d: string): number => Date.parse(`${d}T00:00:00Z`);

describe('a backtest of a trained model keeps off its training span', () => {
  it('without a start, trades from the clean start and says so', () => {
    const d = decideOverlap({}, clean, false);
    expect(d).toEqual({ kind: 'clean', range: { from: CLEAN }, note: expect.stringContaining('trading from 2021-02-28T12:00:00.000Z, where the clean test data of the ranking model models/v2 starts') });
    expect(decideOverlap({ to: day('2021-03-20') }, clean, false)).toMatchObject({ kind: 'clean', range: { from: CLEAN, to: day('2021-03-20') } });
  });

  it('refuses a start inside the training span, naming both times, unless --allow-overlap', () => {
    const d = decideOverlap({ from: day('2021-01-01') }, clean, false);
    expect(d).toEqual({ kind: 'refused', error: 'the range starts 2021-01-01T00:00:00.000Z, inside the span the ranking model models/v2 was trained and validated on (clean test data from 2021-02-28T12:00:00.000Z): start there, or add --allow-overlap to run in-sample anyway' });
    expect(decideOverlap({ to: day('2021-02-01') }, clean, false).kind).toBe('refused');
    expect(decideOverlap({ from: day('2021-01-01') }, clean, true)).toMatchObject({ kind: 'in-sample', range: { from: day('2021-01-01') } });
    expect(decideOverlap({}, clean, true)).toMatchObject({ kind: 'in-sample', range: {} });
  });

  it('leaves a clean range and a run without a model alone', () => {
    expect(decideOverlap({ from: day('2021-03-01') }, clean, false)).toEqual({ kind: 'clean', range: { from: day('2021-03-01') } });
    expect(decideOverlap({ from: day('2021-01-01') }, undefined, false)).toEqual({ kind: 'clean', range: { from: day('2021-01-01') } });
  });

  it('reads the clean start from the model folders: the later of the ranker and the agent', async () => {
    const root = mkdtempSync(join(tmpdir(), 'coinrx-spans-'));
    const ranker = join(root, 'models');
    mkdirSync(join(ranker, 'v1'), { recursive: true });
    mkdirSync(join(ranker, 'v2'), { recursive: true });
    writeFileSync(join(ranker, 'v1', 'meta.json'), JSON.stringify({ version: 'v1', spans: { testFrom: day('2021-02-01') } }));
    writeFileSync(join(ranker, 'v2', 'meta.json'), JSON.stringify({ version: 'v2', spans: { testFrom: CLEAN } }));
    writeFileSync(join(ranker, 'ACTIVE'), 'v2\n');
    const agent = join(root, 'agent');
    mkdirSync(agent);
    writeFileSync(join(agent, 'meta.json'), JSON.stringify({ kind: 'rl-dqn', trainedOn: { from: day('2021-01-01'), to: day('2021-03-05') } }));
    expect(await cleanSpanOf(parseConfig({}))).toBeUndefined();
    expect(await cleanSpanOf(parseConfig({ ranking: { model: ranker } }))).toEqual({ from: CLEAN, what: `ranking model ${join(ranker, 'v2')}` });
    expect(await cleanSpanOf(parseConfig({ ranking: { model: ranker }, strategy: { agent } }))).toEqual({ from: day('2021-03-05'), what: `RL agent ${agent}` });
  });
});
