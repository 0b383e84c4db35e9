import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Random, type MarketEvent } from '../../src/core/index.js';
import { readAll, type MalformedInfo } from '../../src/market-data/index.js';
import { CandleParser } from '../../src/market-data/parsers/candle-parser.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'coinrx-candle-bytes-'));

/** The reference: the file's text split into lines and each parsed as text, as every other format is read. */
function textParse(text: string, market: string, timeframeMs: number | undefined): { events: MarketEvent[]; malformed: number; ignored: number; firstMalformed: number | undefined; sample: string | undefined } {
  const parser = new CandleParser(market, timeframeMs, true);
  const events: MarketEvent[] = [];
  let malformed = 0;
  let ignored = 0;
  let firstMalformed: number | undefined;
  let sample: string | undefined;
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const outcome = parser.parse(line, events);
    if (outcome === 'ignored') ignored++;
    if (outcome === 'malformed' && malformed++ === 0) {
      firstMalformed = i + 1;
      sample = line;
    }
  });
  return { events, malformed, ignored, firstMalformed, sample };
}

/** Rows of every kind the reader meets: plain ones, and ones only the text parse handles (numbers it leaves to Number(), garbage). */
function rows(rng: Random, n: number): string[] {
  const out = ['timestamp,open,high,low,close,volume'];
  let t = 1609459200000;
  for (let i = 0; i < n; i++) {
    t += 300_000;
    const low = 1 + rng.int(100_000) / 1000;
    const high = low + rng.int(5000) / 1000;
    const open = low + (high - low) / 2;
    const close = high;
    const volume = rng.int(1_000_000) / 100;
    const fields = [String(t), String(open), String(high), String(low), String(close), String(volume)];
    const odd = rng.int(40);
    if (odd === 0) fields[5] = '1.5e3';
    else if (odd === 1) fields[1] = ` ${fields[1]}`;
    else if (odd === 2) fields[4] = '0.12345678901234567';
    else if (odd === 3) fields[2] = '-1';
    else if (odd === 4) fields[3] = '12.3.4';
    else if (odd === 5) fields.push('42', 'extra');
    else if (odd === 6) fields[0] = `${t}.0`;
    else if (odd === 7) fields.pop();
    else if (odd === 8) fields[5] = '';
    else if (odd === 9) fields[1] = String(high + 1); // open above high
    if (odd === 10) out.push('');
    else if (odd === 11) out.push('garbage ünïcode line');
    else out.push(fields.join(','));
  }
  return out;
}

describe('candle CSV read from its bytes', () => {
  it('gives the events, counts and first bad line of a line-by-line text parse, across chunks, gzip or plain, BOM and CRLF', async () => {
    const rng = new Random(11);
    const dir = tmp();
    const cases: { name: string; text: string; timeframeMs: number | undefined }[] = [];
    // More than one chunk (64 KiB) of rows, so rows straddle chunk boundaries.
    const many = rows(rng, 6000);
    cases.push({ name: 'AAA_USDT-5m.csv', text: many.join('\n') + '\n', timeframeMs: 300_000 });
    cases.push({ name: 'BBB_USDT-5m.csv.gz', text: '\ufeff' + many.join('\r\n'), timeframeMs: 300_000 });
    // No timeframe in the name: the first two rows give it, the rows after are read from the bytes.
    cases.push({ name: 'CCC_USDT.csv', text: rows(rng, 3000).join('\n') + '\r\n', timeframeMs: undefined });
    for (const c of cases) {
      const path = join(dir, c.name);
      writeFileSync(path, c.name.endsWith('.gz') ? gzipSync(c.text) : c.text);
      const market = `${c.name.slice(0, 3)}/USDT`;
      const reference = textParse(c.text, market, c.timeframeMs);
      const infos: MalformedInfo[] = [];
      const { events, stats } = await readAll([path], { onMalformed: (i) => infos.push(i) });
      expect(reference.malformed).toBeGreaterThan(10);
      expect(events).toEqual(reference.events);
      expect(stats.files[0]).toMatchObject({ events: reference.events.length, malformed: reference.malformed, ignored: reference.ignored, firstMalformedLine: reference.firstMalformed });
      expect(infos).toEqual([expect.objectContaining({ line: reference.firstMalformed, sample: reference.sample })]);
    }
  });
});
