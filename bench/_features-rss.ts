/**
 * Child process of bench/features.ts: RSS of the feature pipeline holding 250 markets with every
 * window full (30 days of 5-minute prints, then the last hour at one print a second), measured alone.
 */
import { Subject } from 'rxjs';
import type { MarketEvent } from '../src/core/index.js';
import { featureSnapshots } from '../streams/index.js';

const MARKETS = 250;
const START = 1_700_000_000_000;
const DAY = 86_400_000;
const names = Array.from({ length: MARKETS }, (_, i) => `C${i}/KRW`);
const events$ = new Subject<MarketEvent>();
let snapshots = 0;
events$.pipe(featureSnapshots({ everyMs: 60_000 })).subscribe((b) => (snapshots += b.snapshots.length));
let events = 0;
const push = (ts: number): void => {
  for (let m = 0; m < MARKETS; m++) {
    events$.next({ kind: 'trade', market: names[m] as string, ts, price: 1000 + m + (ts % 7), amount: 1 + (m % 3) });
    events++;
  }
};
const end = START + 30 * DAY;
for (let ts = START; ts < end - 3_600_000; ts += 300_000) push(ts);
for (let ts = end - 3_600_000; ts <= end; ts += 1000) push(ts);
events$.complete();
global.gc?.();
process.stdout.write(JSON.stringify({ markets: MARKETS, events, snapshots, rss_mb: process.memoryUsage().rss / 2 ** 20 }));
