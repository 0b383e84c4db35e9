import { describe, expect, it } from 'vitest';
import { readAhead } from '../../src/market-data/read-ahead.js';

/** A source that records what was asked of it, its values given out one `next` at a time. */
function recordingSource(values: readonly number[], failAt = -1): { source: AsyncIterable<number>; log: string[] } {
  const log: string[] = [];
  let i = 0;
  const iterator: AsyncIterator<number> = {
    next: async () => {
      log.push(`next ${i}`);
      if (i === failAt) throw new Error(`read failed at ${i}`);
      return i < values.length ? { done: false, value: values[i++] as number } : { done: true, value: undefined };
    },
    return: async () => {
      log.push('return');
      return { done: true, value: undefined };
    },
  };
  return { source: { [Symbol.asyncIterator]: () => iterator }, log };
}

describe('readAhead', () => {
  it('asks for the first value at once, and hands every value over in order', async () => {
    const { source, log } = recordingSource([10, 20, 30]);
    const ahead = readAhead(source);
    expect(log).toEqual(['next 0']);
    const got: number[] = [];
    for await (const v of ahead) got.push(v);
    expect(got).toEqual([10, 20, 30]);
    expect(log).toEqual(['next 0', 'next 1', 'next 2', 'next 3']);
  });

  it('gives a failed first read to whoever asks for it, not as an unhandled rejection', async () => {
    const { source } = recordingSource([1], 0);
    const ahead = readAhead(source);
    await new Promise((resolve) => setTimeout(resolve, 10)); // an unhandled rejection would have been reported by now
    await expect(ahead.next()).rejects.toThrow('read failed at 0');
  });

  it('stops the source when nobody takes the read', async () => {
    const { source, log } = recordingSource([1, 2]);
    const ahead = readAhead(source);
    expect(await ahead.return()).toEqual({ done: true, value: undefined });
    expect(log).toEqual(['next 0', 'return']);
  });

  it('stops an async generator whose first value is still on its way, running its cleanup', async () => {
    let release: (() => void) | undefined;
    const events: string[] = [];
    async function* read(): AsyncGenerator<number> {
      try {
        await new Promise<void>((resolve) => (release = resolve));
        events.push('first read');
        yield 1;
        yield 2;
      } finally {
        events.push('closed');
      }
    }
    const ahead = readAhead(read());
    const stopped = ahead.return();
    release?.();
    await stopped;
    expect(events).toEqual(['first read', 'closed']);
  });
});
