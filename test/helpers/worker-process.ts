/**
 * A `coinrx worker` process of the optimize queue, started through the real CLI, with everything it writes
 * kept (the specs wait on its log and kill it with SIGKILL mid-job).
 */
import { spawn, type ChildProcess } from 'node:child_process';

const CLI = new URL('../../bin/coinrx.js', import.meta.url).pathname;

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly name: string;
  log(): string;
  readonly exited: Promise<number | null>;
}

/** Called with each chunk a worker writes, as it arrives (a kill must land within the job). */
export type OnWorkerOutput = (worker: WorkerProcess, chunk: string) => void;

/** Short lock and stall intervals, so a killed worker's job is taken again within seconds. */
export function startWorker(url: string, data: string, name: string, extra: readonly string[] = [], onOutput?: OnWorkerOutput): WorkerProcess {
  const child = spawn(process.execPath, [CLI, 'worker', '--redis', url, '--data', data, '--name', name, '--lock-duration', '2s', '--stalled-interval', '500ms', ...extra], {
    env: { ...process.env, REDIS_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const worker: WorkerProcess = { child, name, log: () => text, exited };
  const take = (d: Buffer): void => {
    text += d.toString();
    onOutput?.(worker, d.toString());
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  return worker;
}
