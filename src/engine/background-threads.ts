import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { isMainThread } from 'node:worker_threads';

/**
 * Lowers the scheduling priority of every thread of this process but the main one (Linux: each thread is
 * a task in /proc/self/task; the main thread's id is the process's), so that when the machine has no free
 * core the thread that turns a frame into an order gets it first. The others are V8's platform workers
 * (TurboFan compiling, concurrent marking and the scavenger's helpers) and libuv's pool: on two busy
 * cores a compile job took the bot's core for 2–7 ms in the middle of a feature batch, most of the tail
 * of tick-to-order latency (docs/latency.md). With nothing else wanting the core they run as before. `paper`
 * calls it once connected, before it trades; a backtest never does (it has no latency to keep). `live` does
 * not yet: libuv's pool (file writes, look-ups) is among the threads it lowers, and the kill -9 fault
 * matrix, which runs `live` on a loaded machine, has not been shown stable with it (one balance audit
 * failed in three CI runs with it; the cause was not found).
 *
 * At nice 19 (the default, `bot.backgroundNice`) a compile job competing with the main thread for one core
 * gets about 1.5 % of it (CFS weights 15 and 1024). Returns the threads changed: none with `nice` 0, from a
 * worker thread (the process's main thread is its host's), elsewhere than Linux, or when the kernel
 * refuses. Threads made later (libuv starts its pool on first use) keep their priority.
 */
export function yieldBackgroundThreads(nice: number): number {
  if (nice === 0 || !isMainThread) return 0;
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return 0;
  }
  let changed = 0;
  for (const task of tasks) {
    const tid = Number(task);
    if (!Number.isInteger(tid) || tid === process.pid) continue;
    try {
      setPriority(tid, nice);
      changed++;
    } catch {
      // A thread that ended meanwhile, or a kernel that refuses: it keeps its priority.
    }
  }
  return changed;
}
