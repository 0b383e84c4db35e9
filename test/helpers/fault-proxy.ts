import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

/**
 * A REST proxy on 127.0.0.1 in front of a local exchange server (test/helpers/*-server.ts), for faults the servers cannot make:
 * `rule(req)` decides per request: forward as is, hold it `delayMs` before forwarding, forward and
 * answer `status`/`body` instead of the exchange's answer (the exchange did the work, the client sees
 * an error), answer `status`/`body` without forwarding (`refuse`: the exchange never saw it), or hang (never answer).
 */
export type ProxyAction = { kind: 'forward' } | { kind: 'delay'; ms: number } | { kind: 'replace'; status: number; body: string; contentType?: string } | { kind: 'refuse'; status: number; body: string; contentType?: string } | { kind: 'hang' };

export class FaultProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  rule: (method: string, path: string) => ProxyAction = () => ({ kind: 'forward' });
  readonly log: { method: string; path: string; action: string; upstreamStatus?: number; ts: number }[] = [];
  #port = 0;

  private constructor(readonly upstream: string) {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    // websocket upgrades: piped through untouched
    this.#server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      const up = new URL(this.upstream);
      const c = connect(Number(up.port), up.hostname, () => {
        const lines = [`${req.method} ${req.url} HTTP/1.1`, ...Object.entries(req.headers).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}`)];
        c.write(`${lines.join('\r\n')}\r\n\r\n`);
        if (head.length > 0) c.write(head);
        c.pipe(socket).pipe(c);
      });
      this.#sockets.add(c);
      c.on('close', () => this.#sockets.delete(c));
      c.on('error', () => socket.destroy());
      socket.on('error', () => c.destroy());
    });
    this.#server.on('connection', (s: Socket) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
  }

  static async start(upstream: string): Promise<FaultProxy> {
    const p = new FaultProxy(upstream);
    await new Promise<void>((r) => p.#server.listen(0, '127.0.0.1', () => r()));
    p.#port = (p.#server.address() as AddressInfo).port;
    return p;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const action = this.rule(method, path);
    const entry: { method: string; path: string; action: string; upstreamStatus?: number; ts: number } = { method, path, action: action.kind, ts: Date.now() };
    this.log.push(entry);
    if (action.kind === 'hang') return;
    if (action.kind === 'refuse') {
      res.writeHead(action.status, { 'content-type': action.contentType ?? 'application/json' });
      res.end(action.body);
      return;
    }
    if (action.kind === 'delay') await new Promise((r) => setTimeout(r, action.ms));
    const up = new URL(req.url ?? '/', this.upstream);
    const answer = await new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      const r = request(up, { method, headers: { ...req.headers, host: up.host } }, (ur) => {
        const b: Buffer[] = [];
        ur.on('data', (d: Buffer) => b.push(d));
        ur.on('end', () => resolve({ status: ur.statusCode ?? 0, headers: ur.headers as Record<string, unknown>, body: Buffer.concat(b) }));
        ur.on('error', reject);
      });
      r.on('error', reject);
      r.end(body);
    }).catch(() => undefined);
    if (!answer) {
      res.socket?.destroy();
      return;
    }
    entry.upstreamStatus = answer.status;
    if (res.socket?.destroyed) return;
    if (action.kind === 'replace') {
      res.writeHead(action.status, { 'content-type': action.contentType ?? 'application/json' });
      res.end(action.body);
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(answer.headers)) if (k !== 'transfer-encoding' && k !== 'connection' && v !== undefined) headers[k] = String(v);
    res.writeHead(answer.status, headers);
    res.end(answer.body);
  }
}
