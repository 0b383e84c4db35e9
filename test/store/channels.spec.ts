import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CHANNEL_NAMES, CHANNEL_SCHEMAS, channelKey, parseChannelKey, parseChannelMessage } from '../../src/store/channels.js';
import { redactSecrets, redactUrl } from '../../src/store/redact-url.js';
import { compareEventIds, EventIdGenerator } from '../../src/store/event-id.js';

const docs = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../docs/monitoring.md'), 'utf8');

describe('monitoring channels', () => {
  it('names channels coinrx:{botId}:{name} and parses them back', () => {
    expect(channelKey('bot-1', 'fills')).toBe('coinrx:bot-1:fills');
    expect(parseChannelKey('coinrx:bot-1:fills')).toEqual({ botId: 'bot-1', name: 'fills' });
    expect(parseChannelKey('coinrx:bot-1:nope')).toBeUndefined();
    expect(parseChannelKey('other:bot-1:fills')).toBeUndefined();
  });

  it.each(CHANNEL_NAMES)('documents the %s schema exactly as the code defines it', (name) => {
    const section = docs.split(`### \`coinrx:{botId}:${name}\``)[1];
    expect(section, `docs/monitoring.md has no section for ${name}`).toBeDefined();
    const block = /```json\n([\s\S]*?)\n```/.exec(section as string)?.[1] as string;
    const expected = z.toJSONSchema(CHANNEL_SCHEMAS[name]) as Record<string, unknown>;
    delete expected['$schema'];
    expect(JSON.parse(block)).toEqual(expected);
  });

  it('accepts v1 messages with extra fields and rejects other versions or missing fields', () => {
    expect(parseChannelMessage('stats', { v: 1, bot: 'b', ts: 1, equity: 1, invested: 0, later: 'field' }).ok).toBe(true);
    expect(parseChannelMessage('stats', { v: 2, bot: 'b', ts: 1, equity: 1, invested: 0 }).ok).toBe(false);
    const missing = parseChannelMessage('fills', { v: 1, bot: 'b', ts: 1 });
    expect(missing.ok).toBe(false);
    expect(missing.ok ? '' : missing.error).toMatch(/orderId/);
  });
});

describe('store helpers', () => {
  it('redacts passwords from URLs and messages', () => {
    expect(redactUrl('redis://:s3cret@host:6379/0')).toBe('redis://:***@host:6379/0');
    expect(redactUrl('redis://user:s3cret@host:6379')).toBe('redis://user:***@host:6379');
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactSecrets('WRONGPASS s3cret at redis://:s3cret@h:1', 'redis://:s3cret@h:1')).not.toContain('s3cret');
  });

  it('makes strictly increasing event ids even when the clock stands still or steps back', () => {
    let now = 1000;
    const ids = new EventIdGenerator(() => now);
    const a = ids.next();
    const b = ids.next();
    now = 900;
    const c = ids.next();
    now = 2000;
    const d = ids.next();
    expect([a, b, c, d]).toEqual(['1000-0', '1000-1', '1000-2', '2000-0']);
    ids.raiseFloor('5000-7');
    expect(ids.next()).toBe('5000-8');
    expect(compareEventIds('10-1', '9-5')).toBeGreaterThan(0);
    expect(compareEventIds('10-1', '10-10')).toBeLessThan(0);
  });
});
