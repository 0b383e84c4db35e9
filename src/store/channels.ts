/**
 * The pub/sub channels monitors listen to: `coinrx:{botId}:{name}`, one JSON message per publish. Every
 * message carries `v` (the schema version, 1 here), `bot` and `ts` (event time, ms). The zod schemas
 * below are the contract; docs/monitoring.md lists the same schemas as JSON Schema (a test keeps the
 * two in step). Adding an optional field keeps `v`; removing or changing one bumps it.
 */
import { z } from 'zod';

export const SCHEMA_VERSION = 1;

export const CHANNEL_NAMES = ['ranking', 'decisions', 'positions', 'fills', 'stats', 'health'] as const;
export type ChannelName = (typeof CHANNEL_NAMES)[number];

/** Redis key prefix of everything coinrx writes. */
export const KEY_PREFIX = 'coinrx';

/** `coinrx:{botId}:{name}`; `botId` may be `*` for a pattern over every bot. */
export function channelKey(botId: string, name: ChannelName): string {
  return `${KEY_PREFIX}:${botId}:${name}`;
}

/** Splits `coinrx:{botId}:{name}` back; undefined for any other channel. */
export function parseChannelKey(key: string): { botId: string; name: ChannelName } | undefined {
  const first = key.indexOf(':');
  const last = key.lastIndexOf(':');
  if (first < 0 || last <= first || key.slice(0, first) !== KEY_PREFIX) return undefined;
  const name = key.slice(last + 1);
  if (!(CHANNEL_NAMES as readonly string[]).includes(name)) return undefined;
  return { botId: key.slice(first + 1, last), name: name as ChannelName };
}

const envelope = {
  v: z.literal(SCHEMA_VERSION),
  bot: z.string(),
  ts: z.number(),
};
const side = z.enum(['buy', 'sell']);

export const rankingMessageSchema = z
  .looseObject({
    ...envelope,
    ranking: z.array(z.looseObject({ market: z.string(), score: z.number() })),
  })
  .describe('The coin ranking each time it changes, best first.');

export const decisionMessageSchema = z
  .looseObject({
    ...envelope,
    kind: z.enum(['BUY', 'SELL', 'CANCEL_BUY', 'CANCEL_SELL']),
    market: z.string(),
    reason: z.string(),
    score: z.number().optional(),
    price: z.number().optional(),
  })
  .describe('Every strategy decision.');

export const positionMessageSchema = z
  .looseObject({
    ...envelope,
    positionId: z.string(),
    market: z.string(),
    /** State before the transition; absent for a new position. */
    from: z.string().optional(),
    /** State after: idle, buying, holding, selling, settled… */
    state: z.string(),
    /** Event type that caused the transition, e.g. `order.fill`. */
    event: z.string(),
    /** Base held after the transition. */
    amount: z.number().optional(),
    entryPrice: z.number().optional(),
    /** Set when the position settles. */
    pnl: z.number().optional(),
    reason: z.string().optional(),
  })
  .describe('Every position actor transition.');

export const fillMessageSchema = z
  .looseObject({
    ...envelope,
    positionId: z.string().optional(),
    /** The fill's id (`orderId:cumulative executed`): the same fill is never published twice, even across restarts. */
    id: z.string().optional(),
    orderId: z.string(),
    clientId: z.string(),
    market: z.string(),
    side,
    price: z.number(),
    amount: z.number(),
    fee: z.number(),
  })
  .describe('Every fill (one message per partial fill).');

export const statsMessageSchema = z
  .looseObject({
    ...envelope,
    equity: z.number(),
    invested: z.number(),
    openPositions: z.number().int().optional(),
    closedPositions: z.number().int().optional(),
    winRate: z.number().optional(),
    realizedPnl: z.number().optional(),
    returnPct: z.number().optional(),
  })
  .describe('Portfolio statistics, at most once per snapshot batch.');

export const healthMessageSchema = z
  .looseObject({
    ...envelope,
    /** Which part of the bot reports: `store`, `exchange`, `market-data`, `engine`. */
    component: z.string(),
    status: z.enum(['ok', 'degraded']),
    reason: z.string(),
    /** Event-log entries waiting for Redis. */
    pendingEvents: z.number().int().optional(),
    /** Event-log entries dropped because the buffer cap was reached (never silently). */
    droppedEvents: z.number().int().optional(),
    /** Pub/sub messages not delivered while Redis was away. */
    droppedMessages: z.number().int().optional(),
  })
  .describe('Health changes of the store and of the other components.');

export const CHANNEL_SCHEMAS = {
  ranking: rankingMessageSchema,
  decisions: decisionMessageSchema,
  positions: positionMessageSchema,
  fills: fillMessageSchema,
  stats: statsMessageSchema,
  health: healthMessageSchema,
} as const satisfies Record<ChannelName, z.ZodType>;

export type RankingMessage = z.infer<typeof rankingMessageSchema>;
export type DecisionMessage = z.infer<typeof decisionMessageSchema>;
export type PositionMessage = z.infer<typeof positionMessageSchema>;
export type FillMessage = z.infer<typeof fillMessageSchema>;
export type StatsMessage = z.infer<typeof statsMessageSchema>;
export type HealthMessage = z.infer<typeof healthMessageSchema>;

export interface ChannelMessages {
  readonly ranking: RankingMessage;
  readonly decisions: DecisionMessage;
  readonly positions: PositionMessage;
  readonly fills: FillMessage;
  readonly stats: StatsMessage;
  readonly health: HealthMessage;
}

/** What a publisher passes: the store adds `v` and `bot`. */
export type ChannelPayload<C extends ChannelName> = Omit<ChannelMessages[C], 'v' | 'bot'>;

/** Validates a received message against its channel's schema. */
export function parseChannelMessage<C extends ChannelName>(name: C, value: unknown): { ok: true; message: ChannelMessages[C] } | { ok: false; error: string } {
  const result = CHANNEL_SCHEMAS[name].safeParse(value);
  if (result.success) return { ok: true, message: result.data as ChannelMessages[C] };
  return { ok: false, error: result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') };
}
