/**
 * The faults a local exchange server can be told to inject, shared by the Upbit and Binance servers:
 * REST answers with a given status, order acknowledgements lost after the order is made, refused
 * websocket upgrades, and a stall (sockets open, nothing sent). Each server decides how a fault looks
 * in its own protocol; this only keeps count.
 */
export class ServerFaults {
  /** While true, the server's sockets stay open but it sends nothing and answers no ping. */
  stalled = false;
  readonly #answers: { status: number; count: number; path?: string; method?: string }[] = [];
  #lostAcks = 0;
  #slowAcks: { count: number; ms: number } = { count: 0, ms: 0 };
  #refusals = 0;
  #frameDelays = new Map<string, number>();

  /**
   * Private websocket frames of these types (Upbit `myOrder`/`myAsset`, Binance `executionReport`/
   * `outboundAccountPosition`) are sent `ms` after they are made, until called again with 0; the REST
   * answers and the other frames go at once (a read answered before the frame it reflects).
   */
  delayFrames(types: readonly string[], ms: number): void {
    for (const t of types) {
      if (ms > 0) this.#frameDelays.set(t, ms);
      else this.#frameDelays.delete(t);
    }
  }

  #repeats = new Map<string, number>();

  /** The next `count` private websocket frames of this type are sent twice (a delivery repeated). */
  repeatFrames(type: string, count: number): void {
    if (count > 0) this.#repeats.set(type, count);
    else this.#repeats.delete(type);
  }

  /** True (and counted) when this private frame must be sent a second time. */
  takeRepeat(type: string): boolean {
    const left = this.#repeats.get(type) ?? 0;
    if (left <= 0) return false;
    if (left === 1) this.#repeats.delete(type);
    else this.#repeats.set(type, left - 1);
    return true;
  }

  /** How long a private frame of this type waits before it is sent (0: none). */
  frameDelay(type: string): number {
    return this.#frameDelays.get(type) ?? 0;
  }

  /** The next `count` REST requests (only those on `path`, and with `method`, when given) are answered with `status`. */
  failNext(status: number, count: number, path?: string, method?: string): void {
    this.#answers.push({ status, count, ...(path !== undefined ? { path } : {}), ...(method !== undefined ? { method } : {}) });
  }

  loseNextAcks(count: number): void {
    this.#lostAcks = count;
  }

  /** The next `count` order acknowledgements are sent `ms` after the order is made. */
  slowNextAcks(count: number, ms: number): void {
    this.#slowAcks = { count, ms };
  }

  /** How long this order's acknowledgement must wait (0: none; counted). */
  takeSlowAck(): number {
    if (this.#slowAcks.count <= 0) return 0;
    this.#slowAcks.count--;
    return this.#slowAcks.ms;
  }

  refuseConnections(count: number): void {
    this.#refusals = count;
  }

  /** The status a request on `path` must be answered with now, if a fault is pending for it (counted). */
  takeAnswer(path: string, method?: string): number | undefined {
    const fault = this.#answers.find((f) => f.count > 0 && (f.path === undefined || f.path === path) && (f.method === undefined || f.method === method));
    if (!fault) return undefined;
    fault.count--;
    if (fault.count === 0) this.#answers.splice(this.#answers.indexOf(fault), 1);
    return fault.status;
  }

  /** True (and counted) when this order's acknowledgement must be lost. */
  takeLostAck(): boolean {
    if (this.#lostAcks <= 0) return false;
    this.#lostAcks--;
    return true;
  }

  /** True (and counted) when this websocket upgrade must be refused. */
  takeRefusal(): boolean {
    if (this.#refusals <= 0) return false;
    this.#refusals--;
    return true;
  }
}
