import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MarketEvent } from '../../src/core/index.js';
import { parseUpbitFrameJson } from '../../src/market-data/parsers/upbit-frame-json.js';
import { UpbitFrames } from '../../src/market-data/parsers/upbit-frames.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';
import { toDefaultFrame } from '../helpers/upbit-server.js';

/** The reference: the whole frame parsed, its units cut to the best level afterwards. */
function reference(text: string): unknown {
  const f = JSON.parse(text) as Record<string, unknown>;
  for (const key of ['obu', 'orderbook_units']) if (Array.isArray(f[key])) f[key] = (f[key] as unknown[]).slice(0, 1);
  return f;
}

function outcome(text: string): { value?: unknown; error?: string } {
  try {
    return { value: reference(text) };
  } catch (error) {
    return { error: (error as Error).name };
  }
}

function fast(text: string): { value?: unknown; error?: string } {
  try {
    return { value: parseUpbitFrameJson(Buffer.from(text)) };
  } catch (error) {
    return { error: (error as Error).name };
  }
}

const book = '{"ty":"orderbook","cd":"KRW-BTC","tms":1618678262640,"tas":2.5,"tbs":1.4,"obu":[{"ap":127.0,"bp":126.0,"as":280460.37885666,"bs":688682.44561413},{"ap":128.0,"bp":125.0,"as":5.0E-3,"bs":1e2},{"ap":129,"bp":124,"as":-0.5,"bs":0}],"st":"REALTIME"}';

describe('parseUpbitFrameJson (an order book cut to its best level before parsing)', () => {
  it('gives what JSON.parse gives, units cut to the best level, for every frame of the recorded capture in both namings', (ctx) => {
    if (skipWithoutSharedData()) ctx.skip();
    const frames = readFileSync(sharedData('ws/upbit-2021-04/UPBIT.ws.62.0.messages.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => (JSON.parse(l) as { msg: Record<string, unknown> }).msg);
    expect(frames.filter((f) => f['ty'] === 'orderbook').length).toBe(145);
    for (const f of frames) {
      for (const text of [JSON.stringify(f), JSON.stringify(toDefaultFrame(f))]) {
        expect(parseUpbitFrameJson(Buffer.from(text))).toEqual(reference(text));
        // and the events the feed makes of it are the same
        const a: MarketEvent[] = [];
        const b: MarketEvent[] = [];
        new UpbitFrames().handle(parseUpbitFrameJson(Buffer.from(text)) as Record<string, unknown>, a);
        new UpbitFrames().handle(JSON.parse(text) as Record<string, unknown>, b);
        expect(a).toEqual(b);
      }
    }
  });

  it('keeps the keys after the units, and parses frames of other shapes whole', () => {
    expect(fast(book)).toEqual(outcome(book));
    expect((fast(book).value as Record<string, unknown>)['st']).toBe('REALTIME');
    const timeLast = '{"ty":"orderbook","cd":"KRW-BTC","obu":[{"ap":2,"bp":1,"as":1,"bs":1},{"ap":3,"bp":0.5,"as":1,"bs":1}],"tms":5}';
    expect(fast(timeLast)).toEqual({ value: { ty: 'orderbook', cd: 'KRW-BTC', obu: [{ ap: 2, bp: 1, as: 1, bs: 1 }], tms: 5 } });
    for (const text of [
      '{"ty":"orderbook","cd":"KRW-BTC","tms":1,"obu":[]}',
      '{"ty":"orderbook","cd":"KRW-BTC","tms":1,"obu":[{"ap":2,"bp":1,"as":1,"bs":1}, {"ap":3,"bp":0.5,"as":1,"bs":1}]}',
      '{"ty":"orderbook","cd":"KRW-BTC","tms":1,"obu":[{"ap":2,"bp":1,"as":1,"bs":1},{"ap":"3","bp":0.5,"as":1,"bs":1}]}',
      '{"ty":"orderbook","cd":"KRW-BTC","tms":1,"obu":[{"ap":2,"x":{"y":1},"bs":1},{"ap":3}]}',
      '{"ty":"trade","cd":"KRW-BTC","tms":1,"tp":2,"tv":1,"ab":"BID","sid":7}',
    ])
      expect(fast(text)).toEqual({ value: JSON.parse(text) as unknown });
  });

  it('refuses exactly the malformed frames JSON.parse refuses, also when the fault is below the best level', () => {
    const broken = [
      book.slice(0, 60),
      book.slice(0, -1),
      book.replace('{"ap":128.0', '{"ap":128.0,'),
      book.replace('"bs":1e2', '"bs":1e'),
      book.replace('"bs":1e2', '"bs":01'),
      book.replace('"bs":1e2', '"bs":1.'),
      book.replace('"bs":1e2', '"bs":-'),
      book.replace('"bs":1e2', '"bs":1e2,'),
      book.replace('"as":-0.5', '"as"-0.5'),
      book.replace('"as":-0.5', '"as:-0.5'),
      book.replace('},{"ap":129', '}{"ap":129'),
      book.replace('],"st"', ',"st"'),
      book.replace('"st":"REALTIME"}', '"st":"REALTIME"'),
      `${book}x`,
    ];
    for (const text of broken) {
      expect(outcome(text).error, text).toBe('SyntaxError');
      expect(fast(text), text).toEqual(outcome(text));
    }
  });
});
