import { MalformedRecord } from './record-parser.js';

/** One line of a websocket capture, reduced to the frame's JSON text and the local receive time. */
export interface CaptureFrame {
  /** Local receive time in ms, when the line carries one. */
  readonly recvMs: number | undefined;
  readonly json: string;
  /** The URL of a REST answer line (`<url> -> <ts>: <json>`), which names the symbol. */
  readonly url?: string;
}

/**
 * Capture line forms: cryptofeed's `<url> <-> <ts>` (connect, ignored), `<url> <- <ts>: <json>` (sent,
 * ignored), `<url> -> <ts>: <json>` (REST answer), `<recv_s>: b'<json>'` or `<recv_s>: <json>` (received);
 * hftbacktest's `<recv_ns> <json>`; cryptofeed's `configuration: …` header (ignored); JSON lines `{"recv_ts":…,"msg":{…}}`; and bare JSON frames.
 * Returns undefined for lines that carry no received frame.
 */
export function parseCaptureLine(line: string): CaptureFrame | undefined {
  const text = line.trimEnd();
  if (text.length === 0) return undefined;
  const first = text.charCodeAt(0);
  if (first === 123 /* { */ || first === 91 /* [ */) {
    if (text.startsWith('{"recv_ts"')) {
      const msgAt = text.indexOf('"msg":');
      if (msgAt < 0) throw new MalformedRecord('recv_ts line without msg');
      const recv = Number(text.slice(11, text.indexOf(',')));
      return { recvMs: Number.isFinite(recv) ? recv * 1000 : undefined, json: text.slice(msgAt + 6, -1) };
    }
    return { recvMs: undefined, json: text };
  }
  if (first >= 48 && first <= 57) {
    // `<number> <json>` or `<number>: <json>` or `<number>: b'<json>'`
    const space = text.indexOf(' ');
    if (space < 0) throw new MalformedRecord('capture line without a frame');
    const stamp = text.slice(0, text.charCodeAt(space - 1) === 58 /* : */ ? space - 1 : space);
    let json = text.slice(space + 1);
    if (json.startsWith("b'") && json.endsWith("'")) json = json.slice(2, -1);
    const n = Number(stamp);
    if (!Number.isFinite(n)) throw new MalformedRecord(`bad capture time "${stamp}"`);
    const recvMs = stamp.length >= 18 && stamp.indexOf('.') < 0 ? n / 1e6 : n * 1000;
    return { recvMs, json };
  }
  // `<url> <-> ts`, `<url> <- ts: json` (our own requests), `<url> -> ts: json` (REST answers)
  const arrow = text.indexOf(' -> ');
  if (arrow > 0 && !text.includes(' <-')) {
    const colon = text.indexOf(': ', arrow);
    if (colon < 0) throw new MalformedRecord('REST line without a body');
    return { recvMs: Number(text.slice(arrow + 4, colon)) * 1000, json: text.slice(colon + 2), url: text.slice(0, arrow) };
  }
  if (/^\S+ <-?> /.test(text) || /^\S+ <- /.test(text)) return undefined;
  // cryptofeed's `configuration: {…}` header
  if (/^[a-z_]+: /.test(text)) return undefined;
  throw new MalformedRecord('unrecognised capture line');
}
