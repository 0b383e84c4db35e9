/**
 * A throwaway redis-server for integration tests: loopback only, a free port, persistence off, stopped
 * by the test that started it. `restart()` brings it back on the same port (with an empty dataset,
 * since nothing is persisted), which is how the tests simulate losing Redis mid-run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, createServer } from 'node:net';

const BINARY = process.env['REDIS_SERVER_BIN'] ?? 'redis-server';

/** True when a `redis-server` binary runs on this machine. */
export function hasRedisServer(): boolean {
  const probe = spawnSync(BINARY, ['--version'], { stdio: 'ignore' });
  return probe.status === 0;
}

/**
 * True when the Redis tests must be skipped: no redis-server and not in CI. In CI (`CI=true`) a missing
 * redis-server is an error, not a skip.
 */
export function skipWithoutRedis(): boolean {
  if (hasRedisServer()) return false;
  if (process.env['CI'] === 'true') throw new Error(`CI=true but ${BINARY} is not installed (apt-get install -y redis-server)`);
  return true;
}

/** A free TCP port on 127.0.0.1: bind port 0, read the port the kernel chose, release it. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

/** Sends PING over a raw socket; true on `+PONG`. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG') || data.toString().startsWith('-NOAUTH')));
  });
}

export class RedisTestServer {
  #child: ChildProcess | undefined;
  #output = '';

  private constructor(
    readonly port: number,
    readonly extraArgs: readonly string[],
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The server's process id while it runs (to freeze it with SIGSTOP / SIGCONT). */
  get pid(): number | undefined {
    return this.running ? this.#child?.pid : undefined;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Starts a server on a free loopback port (or `port`) and waits until it answers PING (or NOAUTH). */
  static async start(options: { port?: number; args?: readonly string[] } = {}): Promise<RedisTestServer> {
    const server = new RedisTestServer(options.port ?? (await freePort()), options.args ?? []);
    await server.#spawn();
    return server;
  }

  async #spawn(): Promise<void> {
    this.#output = '';
    const child = spawn(BINARY, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--loglevel', 'warning', ...this.extraArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    child.stdout?.on('data', (d: Buffer) => (this.#output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.#output += d.toString()));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode} on port ${this.port}: ${this.#output.trim()}`);
      if (await ping(this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.stop();
    throw new Error(`redis-server did not answer PING on port ${this.port} within 10 s: ${this.#output.trim()}`);
  }

  /** Kills the server (SIGKILL: a crash, not a clean shutdown) and waits for it to exit. */
  async kill(): Promise<void> {
    await this.#end('SIGKILL');
  }

  /** Stops the server (SIGTERM, then SIGKILL after 5 s). Safe to call twice. */
  async stop(): Promise<void> {
    await this.#end('SIGTERM');
  }

  /** Starts it again on the same port (an empty dataset: persistence is off). */
  async restart(): Promise<void> {
    if (this.running) await this.stop();
    await this.#spawn();
  }

  async #end(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
