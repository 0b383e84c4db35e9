import { epochMs } from '../epoch-units.js';

/**
 * The line forms websocket recorders write, reduced to (receive time, parsed frame):
 *
 * - hftbacktest: `<local_recv_ns> <json>`
 * - cryptofeed: `<recv_s>: b'<json>'` (Python bytes repr) or `<recv_s>: <json>`; control lines
 *   `<url> <-> <ts>` (connect), `<url> <- <ts>: <sent>` (subscription), `<url> -> <ts>: <answer>` (REST),
 *   `configuration: ...`
 * - JSON lines: `{"recv_ts": <s>, "msg": {...}}` or a bare frame `{...}`.
 */
export interface CapturedFrame {
  /** Recorder receive time in epoch ms (the recorder's clock, not the exchange's), if the line has one. */
  readonly recvMs: number | undefined;
  readonly msg: unknown;
}

/** A control line: nothing to emit, not an error. */
export const CONTROL = 'control';

/** The frame on one capture line, CONTROL for recorder bookkeeping, or a string saying what is wrong. */
export function parseCaptureLine(line: string): CapturedFrame | typeof CONTROL | { error: string } {
  const c = line.charCodeAt(0);
  if (c === 123 /* { */) {
    const obj = parseJson(line);
    if (obj === undefined) return { error: 'invalid JSON' };
    if (obj !== null && typeof obj === 'object' && 'msg' in obj && 'recv_ts' in obj) {
      const o = obj as { recv_ts: unknown; msg: unknown };
      return { recvMs: typeof o.recv_ts === 'number' ? epochMs(o.recv_ts) : undefined, msg: o.msg };
    }
    return { recvMs: undefined, msg: obj };
  }
  if (c >= 48 && c <= 57) {
    const space = line.indexOf(' ');
    if (space === -1) return { error: 'a time and no frame' };
    const colon = line.charCodeAt(space - 1) === 58;
    const stamp = Number(line.slice(0, colon ? space - 1 : space));
    if (!Number.isFinite(stamp)) return { error: `bad receive time "${line.slice(0, space)}"` };
    // seconds (cryptofeed, with a colon), nanoseconds (hftbacktest), or what another recorder writes: the unit
    // told by its size (a unit taken from the line's form misplaced the frames without an exchange time by decades)
    const recvMs = epochMs(stamp);
    let body = line.slice(space + 1);
    if (body.charCodeAt(0) === 98 /* b */ && body.charCodeAt(1) === 39 /* ' */) body = unPythonBytes(body);
    const msg = parseJson(body);
    return msg === undefined ? { error: 'invalid JSON frame' } : { recvMs, msg };
  }
  if (line.length === 0 || line.startsWith('configuration:')) return CONTROL;
  if (/^(wss?|https?):\/\/\S+ (<->|<-|->) /.test(line)) return CONTROL;
  return { error: 'not a capture line' };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** `b'...'` → the bytes it stands for, as UTF-8 text (escapes only when present: the common case is plain). */
function unPythonBytes(repr: string): string {
  const inner = repr.slice(2, repr.endsWith("'") ? -1 : undefined);
  if (!inner.includes('\\')) return inner;
  const bytes: number[] = [];
  for (let i = 0; i < inner.length; i++) {
    const ch = inner.charCodeAt(i);
    if (ch !== 92 || i + 1 >= inner.length) {
      bytes.push(ch & 0xff);
      continue;
    }
    const next = inner[++i] ?? '';
    if (next === 'x') {
      bytes.push(parseInt(inner.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push((PY_ESCAPES[next] ?? next).charCodeAt(0));
  }
  return Buffer.from(bytes).toString('utf8');
}

const PY_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"' };
