#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm install` / `npm run build`) for a fast start. Without a
// build, or when a source file is newer than it (a pull or an edit since), runs the TypeScript through
// tsx instead, so what runs is always the code in the tree. COINRX_FROM_SOURCE=1 forces the TypeScript.
import { readdirSync, statSync } from 'node:fs';

const root = new URL('..', import.meta.url);

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(new URL(`${entry.name}/`, dir)));
    else if (entry.name.endsWith('.ts') || dir.pathname.endsWith('/page/')) newest = Math.max(newest, statSync(new URL(entry.name, dir)).mtimeMs);
  }
  return newest;
}

function buildIsCurrent() {
  if (process.env.COINRX_FROM_SOURCE === '1') return false;
  let builtAt;
  try {
    builtAt = statSync(new URL('dist/.build-stamp', root)).mtimeMs;
  } catch {
    return false;
  }
  return ['src/', 'streams/', 'machines/', 'strategies/'].every((dir) => newestSource(new URL(dir, root)) <= builtAt);
}

if (buildIsCurrent()) {
  await import(new URL('dist/src/cli/main.js', root).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
