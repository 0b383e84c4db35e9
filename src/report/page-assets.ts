import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** The page's files: our own HTML/JS/CSS (src/report/page) and the charting library from node_modules. */
export const PAGE_FILES = {
  '/': { path: () => fileURLToPath(new URL('./page/index.html', import.meta.url)), type: 'text/html; charset=utf-8' },
  '/app.js': { path: () => fileURLToPath(new URL('./page/app.js', import.meta.url)), type: 'text/javascript; charset=utf-8' },
  '/app.css': { path: () => fileURLToPath(new URL('./page/app.css', import.meta.url)), type: 'text/css; charset=utf-8' },
  '/vendor/uPlot.iife.min.js': { path: () => require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/vendor/uPlot.min.css': { path: () => require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
} as const;

export type PageRoute = keyof typeof PAGE_FILES;

export interface PageAsset {
  readonly type: string;
  readonly body: string;
}

/** Reads every file of the page (once per server or report). */
export async function readPageAssets(): Promise<ReadonlyMap<PageRoute, PageAsset>> {
  const entries = await Promise.all(
    (Object.keys(PAGE_FILES) as PageRoute[]).map(async (route) => {
      const file = PAGE_FILES[route];
      return [route, { type: file.type, body: await readFile(file.path(), 'utf8') }] as const;
    }),
  );
  return new Map(entries);
}
