import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';

describe('log', () => {
  it('writes JSON lines and never prints secrets at any depth', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const log = createLogger({ destination: sink, level: 'info' });
    log.info({ apiKey: 'AK-123', exchange: { secret: 'S-456', options: { headers: { authorization: 'Bearer X' } } } }, 'connect');
    const text = lines.join('\n');
    expect(text).not.toMatch(/AK-123|S-456|Bearer X/);
    const record = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(record['msg']).toBe('connect');
    expect(record['apiKey']).toBe('[redacted]');
  });
});
