import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { positionMachine } from '../../machines/index.js';
import { backtestView, readBacktestFiles } from './backtest-view.js';
import type { DashboardView } from './dashboard-state.js';
import { readPageAssets, type PageAsset, type PageRoute } from './page-assets.js';
import { statechartOf, statechartSvg } from './statechart.js';
import { resultsHtml } from './results-html.js';

/** Text safe inside a `<script>` or `<style>` element. */
function inlineSafe(text: string, tag: 'script' | 'style'): string {
  return text.replace(new RegExp(`</(${tag})`, 'gi'), '<\\/$1');
}

/** JSON safe inside `<script type="application/json">` (no `<`, and the line separators escaped). */
function jsonForHtml(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * One self-contained HTML file: the dashboard page with its CSS, its script and the charting library
 * inlined, and the view embedded as JSON. A Content-Security-Policy forbids every fetch, so the file
 * opens offline and never reaches the network.
 */
export function staticReportHtml(view: DashboardView, assets: ReadonlyMap<PageRoute, PageAsset>): string {
  const body = (route: PageRoute): string => {
    const asset = assets.get(route);
    if (!asset) throw new Error(`report: page asset ${route} missing`);
    return asset.body;
  };
  let html = body('/');
  const replace = (from: string, to: string): void => {
    if (!html.includes(from)) throw new Error(`report: the page has no ${from}`);
    html = html.replace(from, () => to);
  };
  replace('<meta charset="utf-8">', `<meta charset="utf-8">\n<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">`);
  replace('<link rel="stylesheet" href="vendor/uPlot.min.css">', `<style>\n${inlineSafe(body('/vendor/uPlot.min.css'), 'style')}\n</style>`);
  replace('<link rel="stylesheet" href="app.css">', `<style>\n${inlineSafe(body('/app.css'), 'style')}\n</style>`);
  replace('<script src="vendor/uPlot.iife.min.js"></script>', `<script id="coinrx-data" type="application/json">${jsonForHtml(view)}</script>\n<script>\n${inlineSafe(body('/vendor/uPlot.iife.min.js'), 'script')}\n</script>`);
  replace('<script src="app.js"></script>', `<script>\n${inlineSafe(body('/app.js'), 'script')}\n</script>`);
  return html;
}

/** `coinrx report`: a backtest output folder → one HTML file (default `<dir>/report.html`); returns its path. */
export async function writeStaticReport(dir: string, out?: string): Promise<{ path: string; bytes: number; view: DashboardView }> {
  const files = await readBacktestFiles(dir);
  const chart = statechartOf(positionMachine);
  const base = backtestView(files, { chart, svg: statechartSvg(chart) });
  // Titled by what ran (backtest, demo, paper, live) and where it was written.
  const view = { ...base, title: `${base.title} — ${dir}` };
  // The results tables go first in the page, server-rendered from summary.json (no script needed).
  const html = staticReportHtml(view, await readPageAssets()).replace('<main>', () => `<main>\n${resultsHtml(files.summary)}`);
  const path = out ?? join(dir, 'report.html');
  await writeFile(path, html);
  return { path, bytes: Buffer.byteLength(html), view };
}
