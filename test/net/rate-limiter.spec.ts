import { describe, expect, it } from 'vitest';
import { parseRemainingReq, ExchangeBannedError, RestRateLimiter, upbitRequestGroup } from '../../src/net/rate-limiter.js';

describe('RestRateLimiter', () => {
  it('parses Remaining-Req and groups requests the way Upbit counts them', () => {
    expect(parseRemainingReq('group=default; min=1800; sec=29')).toEqual({ group: 'default', sec: 29 });
    expect(parseRemainingReq('garbage')).toBeUndefined();
    expect(upbitRequestGroup('POST', 'https://api.upbit.com/v1/orders')).toBe('order');
    expect(upbitRequestGroup('GET', 'https://api.upbit.com/v1/orders/open?state=wait')).toBe('default');
    expect(upbitRequestGroup('GET', 'http://127.0.0.1:1/v1/ticker?markets=KRW-BTC')).toBe('ticker');
    expect(upbitRequestGroup('GET', 'https://api.upbit.com/v1/candles/minutes/1')).toBe('candles');
  });

  it('holds a group whose second is used up (sec=0) until the next second, other groups go at once', async () => {
    const limiter = new RestRateLimiter();
    limiter.observe(200, { 'Remaining-Req': 'group=order; min=1800; sec=0' });
    const t0 = Date.now();
    await limiter.acquire('default');
    expect(Date.now() - t0).toBeLessThan(50);
    await limiter.acquire('order');
    const waited = Date.now();
    expect(Math.floor(waited / 1000)).toBeGreaterThan(Math.floor(t0 / 1000));
    expect(limiter.stats().throttledWaits).toBe(1);
  });

  it('counts a wait once when the timer fires a millisecond before the wall clock reaches its end', async () => {
    // The clock as the limiter reads it: at the answer, at the first look, then (the timer early) 1 ms short of the
    // next second, then at it.
    const reads = [1_000_990, 1_000_990, 1_000_999, 1_001_000];
    const limiter = new RestRateLimiter({ now: () => (reads.length > 1 ? (reads.shift() as number) : (reads[0] as number)) });
    limiter.observe(200, { 'Remaining-Req': 'group=order; min=1800; sec=0' });
    await limiter.acquire('order');
    expect(reads).toEqual([1_001_000]);
    expect(limiter.stats().throttledWaits).toBe(1);
  });

  it('pauses all requests after a 429 with growing backoff, and resets on success', async () => {
    let now = 1_000_000;
    const limiter = new RestRateLimiter({ now: () => now, random: () => 1, initialBackoffMs: 100 });
    limiter.observe(429, {});
    limiter.observe(429, {});
    expect(limiter.stats().tooManyRequests).toBe(2);
    const p = limiter.acquire('market');
    now += 200; // second 429 pauses 200 ms (100 · 2), jitter at random 1 = full delay
    await p;
    limiter.observe(200, {});
    limiter.observe(429, {});
    now += 100;
    await limiter.acquire('market');
  });

  it("a 429's Retry-After (seconds or a date) holds every request at least that long", async () => {
    let now = 1_000_000;
    const limiter = new RestRateLimiter({ now: () => now, random: () => 1, initialBackoffMs: 100 });
    limiter.observe(429, { 'Retry-After': '25' });
    expect(limiter.pausedUntil).toBe(1_025_000);
    const p = limiter.acquire('order');
    now += 25_000;
    await p;
    limiter.observe(429, { 'retry-after': new Date(now + 7_000).toUTCString() });
    expect(limiter.pausedUntil).toBeGreaterThanOrEqual(now + 6_000);
    // Without one, the backoff alone: 400 ms for the third 429 in a row.
    now += 10_000;
    limiter.observe(429, {});
    expect(limiter.pausedUntil).toBe(now + 400);
  });

  it('refuses every request during a 418 ban, for Retry-After, the seconds in the message, or banMs', async () => {
    let now = 0;
    const limiter = new RestRateLimiter({ now: () => now, banMs: 1_000 });
    limiter.observe(418, { 'retry-after': '30' });
    expect(limiter.bannedUntil).toBe(30_000);
    await expect(limiter.acquire('default')).rejects.toBeInstanceOf(ExchangeBannedError);
    now = 30_000;
    await limiter.acquire('default');
    limiter.observe(418, {}, '{"error":{"name":"blocked","message":"Blocked for 60 seconds"}}');
    expect(limiter.bannedUntil).toBe(90_000);
    now = 90_000;
    limiter.observe(418, {}, 'no hint');
    expect(limiter.bannedUntil).toBe(91_000);
  });
});
