import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Browser specs skip without Chromium, except in CI where its absence is a failure. */
export const skipWithoutChromium = !existsSync(CHROMIUM) && process.env['CI'] !== 'true';
export const SCREENSHOTS = new URL('../../test-output/screenshots/', import.meta.url).pathname;

export async function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
}

/** In-page expression: how many pixels of the chart's canvas are drawn (not transparent); -1 without a canvas. */
export function drawnPixels(selector: string): string {
  return `(() => {
    const canvas = document.querySelector(${JSON.stringify(`${selector} canvas`)});
    if (!canvas) return -1;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
    return n;
  })()`;
}

/** In-page expression: the chart's number of x points and of finite y values over every series. */
export function chartPoints(name: string): string {
  return `(() => {
    const c = window.coinrxCharts[${JSON.stringify(name)}];
    if (!c) return { x: 0, y: 0 };
    const [xs, ...ys] = c.data;
    return { x: xs.length, y: ys.reduce((a, s) => a + s.filter((v) => typeof v === 'number' && Number.isFinite(v)).length, 0) };
  })()`;
}
