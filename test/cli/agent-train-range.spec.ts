/**
 * `coinrx agent train` takes the research commands' time range: the range's end ends the training and
 * selection span (as --until), its start is where training starts (the day of feature batches before it
 * only warms the tape up). It used to accept --timerange and ignore it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { writeSineCandles } from '../helpers/sine-candles.js';
import { waitFor } from '../helpers/wait-for.js';

describe('coinrx agent train --timerange', () => {
  it('trains on the range (a day of warm-up before it), and refuses a second end', async () => {
    const data = writeSineCandles('coinrx-agent-range-');
    const out = mkdtempSync(join(tmpdir(), 'coinrx-agent-range-out-'));
    const c = captureIo();
    const run = main(['agent', 'train', '--data', data, '--timerange', '20240105-20240111', '--rl', 'loop.validationDays=2', '--set', 'features.every=5m', '--out', out], c.io);
    await waitFor(() => c.err().includes('agent train:'), 'the span line', 30_000);
    c.controller.abort();
    await run;
    // 288 batches of 5 m before Jan 5 warm up; the end day (Jan 11) is included; validation is its last two days.
    expect(c.err()).toMatch(/agent train: 3 markets, 2304 batches from 2024-01-04T00:00:00\.000Z to 2024-01-12T00:00:00\.000Z; validation from 2024-01-10T00:00:00\.000Z/);

    const both = captureIo();
    expect(await main(['agent', 'train', '--data', data, '--timerange', '20240105-20240111', '--until', '2024-01-10', '--out', out], both.io)).toBe(2);
    expect(both.err()).toMatch(/--until and the end of --timerange\/--to both end the training span: give one/);
    const empty = captureIo();
    expect(await main(['agent', 'train', '--data', data, '--from', '2024-01-10', '--until', '2024-01-09', '--out', out], empty.io)).toBe(2);
    expect(empty.err()).toMatch(/the training span is empty: it starts 2024-01-10T00:00:00\.000Z and ends 2024-01-09T00:00:00\.000Z/);
  }, 60_000);
});
