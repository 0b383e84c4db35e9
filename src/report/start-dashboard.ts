import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { BacktestRun, TradingEngine } from '../engine/index.js';
import { DashboardServer, type DashboardAttachOptions, type DashboardStartOptions } from './dashboard-server.js';
import { attachStatelyInspector } from './stately-inspector.js';

export interface StartDashboardOptions extends DashboardAttachOptions, DashboardStartOptions {
  /** Where the URL is printed (default: stderr). */
  readonly log?: (line: string) => void;
  /** Websocket URL of a Stately inspector server: the bot's actors are streamed to it too. */
  readonly inspect?: string;
}

export interface RunningDashboard {
  readonly url: string;
  readonly server: DashboardServer;
  /** Follows an engine (again); `startDashboard` with an engine has done it already. */
  attach(engine: TradingEngine, options?: DashboardAttachOptions): void;
  /** Follows a backtest run: its engine, its tracker and its simulated account. */
  attachRun(run: BacktestRun, options?: DashboardAttachOptions): void;
  /** The batches of a replay with a turn of the event loop between two, so the pages keep updating. */
  pace<T>(batches: AsyncIterable<T> | Iterable<T>, delayMs?: number): AsyncGenerator<T>;
  /** Settles once the Stately inspector (option `inspect`) is connected, or failed to load. */
  inspectorReady(): Promise<void>;
  /** Serves the final state until `signal` aborts, then closes. */
  hold(signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** The port of `--dashboard <port>`. */
export function dashboardPort(text: string | undefined): number {
  const port = Number(text ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--dashboard needs a port number 0-65535, got "${text}"`);
  return port;
}

/**
 * Starts the dashboard server on loopback, prints its URL and, given an engine, follows it. For a
 * command that builds its engine later (a backtest), pass `undefined` and call `attachRun` when the
 * run exists.
 */
export async function startDashboard(engine: TradingEngine | undefined, options: StartDashboardOptions = {}): Promise<RunningDashboard> {
  const server = new DashboardServer();
  const log = options.log ?? ((line: string) => process.stderr.write(line));
  const url = await server.start({ port: options.port ?? 0, host: options.host ?? '127.0.0.1', ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}) });
  log(`dashboard: ${url}\n`);
  let inspector: { close(): void } | undefined;
  let inspecting: Promise<void> = Promise.resolve();
  const attach = (e: TradingEngine, extra: DashboardAttachOptions = {}): void => {
    server.attach(e, { ...options, ...extra });
    if (options.inspect) {
      inspector?.close();
      inspecting = attachStatelyInspector(e.bot, { url: options.inspect }).then(
        (i) => {
          inspector = i;
          log(`dashboard: streaming the actors to the Stately inspector at ${i.url}\n`);
        },
        (error: unknown) => log(`dashboard: Stately inspector unavailable (${(error as Error).message})\n`),
      );
    }
  };
  if (engine) attach(engine);
  const close = async (): Promise<void> => {
    inspector?.close();
    await server.close();
  };
  return {
    url,
    server,
    attach,
    inspectorReady: () => inspecting,
    attachRun: (run, extra = {}) => attach(run.engine, { tracker: run.tracker, quote: run.quote, balances: () => run.exchange.getBalances(), ...extra }),
    async *pace(batches, delayMs = 0) {
      for await (const batch of batches) {
        yield batch;
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        else await yieldToLoop();
      }
      server.flush();
    },
    async hold(signal) {
      server.flush();
      if (!signal.aborted) {
        log(`dashboard: run finished; still serving ${url} (Ctrl-C to exit)\n`);
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      }
      await close();
    },
    close,
  };
}
