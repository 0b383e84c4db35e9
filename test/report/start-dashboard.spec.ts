import { afterAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { parseConfig } from '../../src/config.js';
import { createBacktest } from '../../src/engine/backtest.js';
import { generateMarket } from '../../src/market-data/generator.js';
import { batched } from '../../src/market-data/batched.js';
import { dashboardPort, startDashboard, type RunningDashboard } from '../../src/report/start-dashboard.js';
import { waitFor } from '../helpers/wait-for.js';

const START = Date.UTC(2024, 0, 1);


describe('startDashboard (the demo --dashboard wiring) with the Stately inspector protocol', () => {
  let dashboard: RunningDashboard | undefined;
  let inspector: WebSocketServer | undefined;
  afterAll(async () => {
    await dashboard?.close();
    for (const c of inspector?.clients ?? []) c.terminate();
    await new Promise((r) => (inspector ? inspector.close(() => r(undefined)) : r(undefined)));
  });

  it('follows a backtest started later, serves its view, and streams the actors to an inspector server', async () => {
    // A stand-in for @statelyai/inspect's inspector server: it records what the inspector sends.
    inspector = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => inspector?.once('listening', r));
    const received: { type: string; name?: string; event?: { type: string } }[] = [];
    inspector.on('connection', (ws) => ws.on('message', (d) => received.push(JSON.parse(String(d)))));
    const port = (inspector.address() as { port: number }).port;
    const lines: string[] = [];
    dashboard = await startDashboard(undefined, { port: dashboardPort('0'), log: (l) => lines.push(l), inspect: `ws://127.0.0.1:${port}` });
    expect(lines[0]).toBe(`dashboard: ${dashboard.url}\n`);
    const run = createBacktest(parseConfig({}), 'KRW', START);
    dashboard.attachRun(run, { mode: 'paper' });
    await dashboard.inspectorReady();
    for await (const batch of dashboard.pace(batched(generateMarket({ seed: 2, markets: 6, start: START, durationMs: 2 * 3_600_000 }), 4096))) for (const e of batch) run.feed(e);
    const view = (await (await fetch(`${dashboard.url}api/view`)).json()) as { mode: string; ranking: { rows: unknown[] }; balances: unknown[]; charts: { equity: { ts: unknown[] } } };
    expect(view.mode).toBe('paper');
    expect(view.ranking.rows.length).toBeGreaterThan(0);
    expect(view.balances.length).toBeGreaterThan(0);
    expect(view.charts.equity.ts.length).toBeGreaterThan(10);
    await waitFor(() => received.some((e) => e.type === '@xstate.actor' && /^(position|coinrx-\d+)$/.test(e.name ?? '')) && received.some((e) => e.type === '@xstate.snapshot'), `inspection events (got ${received.length}: ${[...new Set(received.map((e) => `${e.type}:${e.name ?? ''}`))].join(', ')})`, 20_000);
    expect(received.find((e) => e.type === '@xstate.actor')?.name).toBe('bot');
    expect(received.some((e) => e.event?.type === 'clock.tick')).toBe(false);
    expect(lines.some((l) => l.includes('Stately inspector'))).toBe(true);
    expect(() => dashboardPort('70000')).toThrow(/port/);
  });
});
