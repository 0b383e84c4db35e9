import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { resultsHtml } from '../../src/report/results-html.js';
import { OUTCOME_WORDS, type RunResults } from '../../src/report/results.js';
import { captureIo } from '../helpers/capture-io.js';

const START = Date.UTC(2024, 0, 1);

function writeCandles(): string {
  const dir = mkdtempSync(join(tmpdir(), 'coinrx-report-data-'));
  for (const [name, period] of [['AAA_USDT', 96], ['BBB_USDT', 150]] as const) {
    const rows = ['timestamp,open,high,low,close,volume'];
    let price = 100;
    for (let i = 0; i < 3 * 288; i++) {
      const next = 100 * (1 + 0.05 * Math.sin((2 * Math.PI * i) / period));
      rows.push(`${START + i * 300_000},${price},${Math.max(price, next) * 1.002},${Math.min(price, next) * 0.998},${next},${50 + (i % 11)}`);
      price = next;
    }
    writeFileSync(join(dir, `${name}-5m.csv`), `${rows.join('\n')}\n`);
  }
  return dir;
}

describe('the HTML report shows the results tables', () => {
  it('writes every table of summary.json, one row per pair, day and month, and the halts', async () => {
    const out = mkdtempSync(join(tmpdir(), 'coinrx-report-'));
    expect(await main(['backtest', '--data', writeCandles(), '--set', 'features.every=5m', '--set', 'bot.dailyLossLimit=0.01', '--out', out], captureIo().io)).toBe(0);
    expect(await main(['report', out], captureIo().io)).toBe(0);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const results = (JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { results: RunResults }).results;
    const section = html.slice(html.indexOf('<section class="panel wide" id="results">'), html.indexOf('</section>', html.indexOf('id="results"')));
    expect(section.length).toBeGreaterThan(100);
    const rowsOf = (id: string): number => {
      const start = section.indexOf(`<table id="${id}">`);
      return (section.slice(start, section.indexOf('</table>', start)).match(/<tr>/g) ?? []).length - 1;
    };
    expect(results.pairs.length).toBeGreaterThan(0);
    expect(rowsOf('pairs')).toBe(results.pairs.length);
    expect(rowsOf('daily')).toBe(results.daily.length);
    expect(rowsOf('monthly')).toBe(results.monthly.length);
    expect(rowsOf('exit-reasons')).toBe(results.exits.length);
    expect(rowsOf('decision-outcomes')).toBe(results.decisions.length);
    // Why decisions were suppressed, in the console's words (summary.json's keys are for programs).
    const why = results.decisions.flatMap((d) => Object.keys(d.why));
    expect(why.length).toBeGreaterThan(0);
    for (const d of results.decisions) for (const [k, n] of Object.entries(d.why)) expect(section).toContain(`${OUTCOME_WORDS[k] as string}: ${n}`);
    for (const p of results.pairs) expect(section).toContain(`<td>${p.market}</td>`);
    expect(results.halts.length).toBeGreaterThan(0);
    expect(section).toContain('kill-switch: daily loss limit');
    expect(section).toMatch(/Buy-and-hold of the 2 coins over the traded span/);
  });

  it('escapes what a strategy wrote and leaves an older summary without results alone', () => {
    const results: RunResults = {
      pairs: [],
      exits: [{ exit: 'other', trades: 1, wins: 0, winRate: 0, pnl: -1, meanReturn: -0.01, meanHoldMs: 3_600_000, reasons: { '<script>': 1 } }],
      daily: [],
      monthly: [],
      market: { change: null, markets: 0, excess: null },
      halts: [],
      decisions: [],
    };
    const html = resultsHtml({ results });
    expect(html).toContain('&lt;script&gt; 1');
    expect(html).not.toContain('<script>');
    expect(resultsHtml({ statistics: {} })).toBe('');
  });
});
