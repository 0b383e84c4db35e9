/**
 * Child process of bench/features.ts (BENCH_PREVIOUS): the feature pipeline of the tree given as the first
 * argument (this checkout or an earlier release with its node_modules) against the floor, in CPU time,
 * with this checkout's tape and floor, so two trees are compared by the same harness. Runs alternate
 * pipeline and floor after two warm-up runs; prints the medians as JSON.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadTape, runFloor, runPipeline, TapeEvents, type PipelineParts } from './features.js';

const RUNS = 5;
const tree = process.argv[2];
if (tree === undefined) throw new Error('usage: _features-pipeline.ts <tree>');
const load = async (path: string): Promise<Record<string, unknown>> => (await import(pathToFileURL(join(tree, path)).href)) as Record<string, unknown>;
const parts = {
  parseConfig: (await load('src/config.ts'))['parseConfig'],
  EventFeed: (await load('src/engine/event-feed.ts'))['EventFeed'],
  marketPipeline: (await load('src/engine/market-pipeline.ts'))['marketPipeline'],
} as PipelineParts;

const tape = await loadTape();
const events = new TapeEvents(tape);
for (let i = 0; i < 2; i++) {
  runPipeline(tape, events, undefined, parts);
  runFloor(tape);
}
const pipeline: number[] = [];
const floor: number[] = [];
for (let i = 0; i < RUNS; i++) {
  pipeline.push(runPipeline(tape, events, undefined, parts).cpuSeconds);
  floor.push(runFloor(tape).cpuSeconds);
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
process.stdout.write(
  JSON.stringify({
    pipeline_cpu_s: Number(median(pipeline).toFixed(3)),
    floor_cpu_s: Number(median(floor).toFixed(3)),
    slowdown_vs_floor_cpu: Number((median(pipeline) / median(floor)).toFixed(2)),
  }),
);
