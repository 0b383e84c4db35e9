// `npm run build` (and `prepare`, so `npm install` / `npm ci` from a clone builds it): compiles the
// TypeScript into dist/ for a fast start, copies the report page's files, and writes the commands' help
// (dist/src/cli/commands.json) so `coinrx --help` loads no command. bin/coinrx.js runs dist/ while no
// source file is newer than dist/.build-stamp, the TypeScript through tsx otherwise.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { importRxjsParts } from './rxjs-parts.js';
import { vendorZod } from './vendor-zod.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = `${root}dist`;
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist);
try {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const startedAt = new Date();
  execFileSync(process.execPath, [tsc, '-p', `${root}tsconfig.build.json`], { stdio: 'inherit' });
  importRxjsParts(dist);
  await vendorZod(dist);
  cpSync(`${root}src/report/page`, `${dist}/src/report/page`, { recursive: true });
  const { COMMANDS } = await import(pathToFileURL(`${dist}/src/cli/commands/index.js`).href);
  const { describeCommands, MANIFEST_FILE } = await import(pathToFileURL(`${dist}/src/cli/command-manifest.js`).href);
  writeFileSync(`${dist}/src/cli/${MANIFEST_FILE}`, `${JSON.stringify(describeCommands(COMMANDS))}\n`);
  // Dated when tsc started: a source saved during the build is newer, and bin/ then runs the source.
  writeFileSync(`${dist}/.build-stamp`, `${startedAt.toISOString()}\n`);
  utimesSync(`${dist}/.build-stamp`, startedAt, startedAt);
} catch (error) {
  // Without the stamp bin/coinrx.js runs the TypeScript: the CLI works, only slower, and `npm install`
  // does not fail over a type error (`npm test` reports those).
  process.stderr.write(`build: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}; coinrx will run the TypeScript through tsx until \`npm run build\` succeeds\n`);
}
// Importing every command may leave library timers running; the build is done.
process.exit(0);
