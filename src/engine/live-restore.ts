import type { Store } from '../store/index.js';
import type { EngineCheckpoint } from './trading-engine.js';

interface PersistedBot {
  readonly value: unknown;
  readonly context: Record<string, unknown> & { readonly positions: Record<string, unknown> };
  readonly children: Record<string, { readonly snapshot: unknown; readonly src: string }>;
  readonly [key: string]: unknown;
}

/**
 * A live engine's restart point, from what it wrote to the store: the bot's snapshot (written once per
 * feature batch) with its position children replaced by their own snapshots (written on every
 * transition, so newer); a position whose snapshot is gone has settled and is dropped, one written
 * after the bot's last snapshot is added. Undefined when the store holds no bot. The exchange part is
 * absent: a live exchange keeps its own state, and the restored orders are looked up there.
 */
export async function liveCheckpoint(store: Store, now: number): Promise<EngineCheckpoint | undefined> {
  const botJson = (await store.loadSnapshots('bot')).get('bot');
  if (botJson === undefined) return undefined;
  const bot = JSON.parse(botJson) as PersistedBot;
  const positions = await store.loadSnapshots('position');
  const children: PersistedBot['children'] = {};
  const refs: Record<string, unknown> = {};
  for (const [id, json] of [...positions].sort(([a], [b]) => (a < b ? -1 : 1))) {
    children[id] = { src: bot.children[id]?.src ?? 'position', snapshot: JSON.parse(json) as unknown };
    refs[id] = { xstate$$type: 1, id };
  }
  return {
    v: 1,
    ts: now,
    seq: 0,
    decisions: 0,
    lastPrice: [],
    regimeAtEntry: {},
    settled: [],
    results: [],
    bot: { ...bot, children, context: { ...bot.context, positions: refs } },
    sentEquityTs: null,
  };
}
