import { describe, expect, it } from 'vitest';
import { splitByteLines, splitLines } from '../../src/market-data/record-splitter.js';

async function* chunksOf<T>(parts: readonly T[]): AsyncGenerator<T> {
  for (const p of parts) yield p;
}

/** Every way to cut the text into three chunks, at byte positions. */
function cuts(text: string): Buffer[][] {
  const bytes = Buffer.from(text, 'utf8');
  const out: Buffer[][] = [];
  for (let a = 0; a <= bytes.length; a++) for (let b = a; b <= bytes.length; b++) out.push([bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)]);
  return out;
}

async function byteLines(parts: readonly Buffer[]): Promise<{ lines: string[]; finals: number }> {
  const lines: string[] = [];
  let finals = 0;
  for await (const { bytes, bounds, count, final } of splitByteLines(chunksOf(parts))) {
    for (let i = 0; i < count; i++) lines.push(bytes.toString('utf8', bounds[2 * i], bounds[2 * i + 1]));
    if (final) finals++;
  }
  return { lines, finals };
}

async function textLines(text: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const batch of splitLines(chunksOf([text]))) lines.push(...batch);
  return lines;
}

describe('splitByteLines', () => {
  it('gives the lines splitLines gives, however the bytes are cut, without CR, LF or a leading byte order mark', async () => {
    const texts = ['ts,open\r\n1,2\r\n3,4', '\ufeffa\nb\n', 'x\n\n\ny\r\n', 'é,ü\n€\r\n', 'one line', ''];
    for (const text of texts) {
      const expected = await textLines(text.replace(/^\ufeff/, ''));
      for (const parts of cuts(text)) {
        const got = await byteLines(parts);
        expect(got.lines, JSON.stringify(parts.map((p) => p.toString('latin1')))).toEqual(expected);
        expect(got.finals).toBe(/\n$/.test(text) || text === '' ? 0 : 1);
      }
    }
  });

  it('holds more lines in a chunk than its first buffer has room for', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => String(i));
    const got = await byteLines([Buffer.from(`${rows.join('\n')}\n`)]);
    expect(got.lines).toEqual(rows);
  });

  it('completes a line begun in the chunk before on its own (more), then gives the rest of its chunk', async () => {
    const steps: { lines: string[]; more: boolean }[] = [];
    for await (const { bytes, bounds, count, more } of splitByteLines(chunksOf([Buffer.from('a,1\nb,'), Buffer.from('2\r'), Buffer.from('\nc,3\nd')]))) {
      const lines: string[] = [];
      for (let i = 0; i < count; i++) lines.push(bytes.toString('utf8', bounds[2 * i], bounds[2 * i + 1]));
      steps.push({ lines, more });
    }
    // the chunk '2\r' holds no line end: nothing is given for it; 'b,2' is completed by the third chunk
    expect(steps).toEqual([
      { lines: ['a,1'], more: false },
      { lines: ['b,2'], more: true },
      { lines: ['c,3'], more: false },
      { lines: ['d'], more: false },
    ]);
  });
});

