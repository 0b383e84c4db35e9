import { readFileSync } from 'node:fs';
import { getShortestPaths, type StatePath } from '@xstate/graph';
import { createActor, initialTransition, transition, type SnapshotFrom } from 'xstate';
import { describe, expect, it } from 'vitest';
import { botMachine, DUST, held, isFullyFilled, positionMachine, type OrderSlot, type PositionEvent } from '../../machines/index.js';
import { buy, cancelBuy, cancelSell, close, ExchangeOrder, INPUT, recordingMachine, sell, type RecordedEffect } from './position-fixtures.js';
import { markdownRow, transitionKey, transitionRows } from './machine-table.js';

type Snapshot = SnapshotFrom<typeof positionMachine>;

/**
 * The position graph as specified: [state, event, guard, target, effect] for every transition, in the
 * order the definition lists them. Branches of one event are checked top to bottom. A transition added
 * to, removed from or retargeted in the machine fails the first test until this table (the spec) agrees.
 */
/** The event of a state's timer (an XState delay: `after` in the definition). */
const after = (delay: string, state: string): string => `xstate.after.${delay}.position.${state}`;

const SPEC: ReadonlyArray<readonly [string, string, string, string, string]> = [
  // On the root: in every state until settled (a fee is often corrected after its order ended).
  ['position', 'order.feeCorrected', '', '(stays)', ''],
  ['idle', 'decision.buy', 'validBuy', 'buying', 'placeOrder'],
  ['idle', 'position.close', '', 'settled', ''],
  ['buying', 'order.accepted', 'isBuyEvent', '(stays)', ''],
  ['buying', 'order.fill', 'and(isBuyEvent, buyComplete)', 'holding', ''],
  ['buying', 'order.fill', 'isBuyEvent', '(stays)', ''],
  ['buying', 'order.cancelled', 'and(isBuyEvent, buyHasFill)', 'holding', ''],
  ['buying', 'order.cancelled', 'isBuyEvent', 'settled', ''],
  ['buying', 'order.rejected', 'and(isBuyEvent, buyAcked)', 'unknownBuy', 'queryOrder'],
  ['buying', 'order.rejected', 'isBuyEvent', 'settled', ''],
  ['buying', 'decision.cancelBuy', '', 'cancellingBuy', 'cancelOrder'],
  ['buying', after('buyAck', 'buying'), 'buyUnacked', 'unknownBuy', 'queryOrder'],
  ['buying', after('buyTimeout', 'buying'), 'buyTimeoutOn', 'cancellingBuy', 'cancelOrder'],
  ['cancellingBuy', 'order.accepted', 'isBuyEvent', '(stays)', ''],
  ['cancellingBuy', 'order.fill', 'and(isBuyEvent, buyComplete)', 'holding', ''],
  ['cancellingBuy', 'order.fill', 'isBuyEvent', '(stays)', ''],
  ['cancellingBuy', 'order.cancelled', 'and(isBuyEvent, buyHasFill)', 'holding', ''],
  ['cancellingBuy', 'order.cancelled', 'isBuyEvent', 'settled', ''],
  ['cancellingBuy', 'order.rejected', 'isBuyEvent', 'unknownBuy', 'queryOrder'],
  ['cancellingBuy', after('cancelAck', 'cancellingBuy'), '', 'unknownBuy', 'queryOrder'],
  ['unknownBuy', 'order.queryResult', 'and(isBuyEvent, foundOpen)', 'buying', ''],
  ['unknownBuy', 'order.queryResult', 'and(isBuyEvent, buyHasFill)', 'holding', ''],
  ['unknownBuy', 'order.queryResult', 'isBuyEvent', 'settled', ''],
  ['unknownBuy', 'order.accepted', 'isBuyEvent', 'buying', ''],
  ['unknownBuy', 'order.fill', 'and(isBuyEvent, buyComplete)', 'holding', ''],
  ['unknownBuy', 'order.fill', 'isBuyEvent', 'buying', ''],
  ['unknownBuy', 'order.cancelled', 'and(isBuyEvent, buyHasFill)', 'holding', ''],
  ['unknownBuy', 'order.cancelled', 'isBuyEvent', 'settled', ''],
  ['unknownBuy', after('lookup', 'unknownBuy'), '', 'unknownBuy', 'queryOrder'],
  ['holding', 'decision.sell', 'canSell', 'selling', 'placeOrder'],
  ['holding', 'position.close', '', 'settled', ''],
  ['selling', 'order.accepted', 'isSellEvent', '(stays)', ''],
  ['selling', 'order.fill', 'and(isSellEvent, not(stillHolding))', 'settled', ''],
  ['selling', 'order.fill', 'and(isSellEvent, sellComplete)', 'holding', ''],
  ['selling', 'order.fill', 'isSellEvent', '(stays)', ''],
  ['selling', 'order.cancelled', 'isSellEvent', 'holding', ''],
  ['selling', 'order.rejected', 'and(isSellEvent, sellAcked)', 'unknownSell', 'queryOrder'],
  ['selling', 'order.rejected', 'isSellEvent', 'holding', ''],
  ['selling', 'decision.cancelSell', '', 'cancellingSell', 'cancelOrder'],
  ['selling', after('sellAck', 'selling'), 'sellUnacked', 'unknownSell', 'queryOrder'],
  ['cancellingSell', 'order.accepted', 'isSellEvent', '(stays)', ''],
  ['cancellingSell', 'order.fill', 'and(isSellEvent, not(stillHolding))', 'settled', ''],
  ['cancellingSell', 'order.fill', 'and(isSellEvent, sellComplete)', 'holding', ''],
  ['cancellingSell', 'order.fill', 'isSellEvent', '(stays)', ''],
  ['cancellingSell', 'order.cancelled', 'isSellEvent', 'holding', ''],
  ['cancellingSell', 'order.rejected', 'isSellEvent', 'unknownSell', 'queryOrder'],
  ['cancellingSell', after('cancelAck', 'cancellingSell'), '', 'unknownSell', 'queryOrder'],
  ['unknownSell', 'order.queryResult', 'and(isSellEvent, foundOpen)', 'selling', ''],
  ['unknownSell', 'order.queryResult', 'and(isSellEvent, stillHolding)', 'holding', ''],
  ['unknownSell', 'order.queryResult', 'isSellEvent', 'settled', ''],
  ['unknownSell', 'order.accepted', 'isSellEvent', 'selling', ''],
  ['unknownSell', 'order.fill', 'and(isSellEvent, not(stillHolding))', 'settled', ''],
  ['unknownSell', 'order.fill', 'and(isSellEvent, sellComplete)', 'holding', ''],
  ['unknownSell', 'order.fill', 'isSellEvent', 'selling', ''],
  ['unknownSell', 'order.cancelled', 'isSellEvent', 'holding', ''],
  ['unknownSell', after('lookup', 'unknownSell'), '', 'unknownSell', 'queryOrder'],
];

const EFFECTS: Record<string, RecordedEffect['kind']> = { placeOrder: 'place', cancelOrder: 'cancel', queryOrder: 'query' };
const rows = transitionRows(positionMachine);
const specKey = (source: string, event: string, branch: number) => `${source} · ${event} #${branch}`;
const spec = new Map(
  SPEC.map(([source, event, guard, target, effect], i) => {
    const branch = SPEC.slice(0, i).filter(([s, e]) => s === source && e === event).length;
    return [specKey(source, event, branch), { source, event, branch, guard, target, effect }] as const;
  }),
);

/**
 * Candidate events for a snapshot, built from its context so that guards can be true: decisions, every
 * exchange answer about the current order (acknowledged, partly and fully filled, cancelled with and
 * without a last fill, rejected, looked up in each status or not found) and the state's timers firing
 * (their delayed events, as the clock sends them when due).
 */
function eventsFor(s: Snapshot): PositionEvent[] {
  const c = s.context;
  const t = c.lastTs + 1;
  const h = held(c);
  const events: PositionEvent[] = [buy(t, 100, 2), cancelBuy(t), cancelSell(t), close(t), sell(t, 110)];
  for (const node of s._nodes) for (const d of node.after) events.push({ type: d.eventType } as unknown as PositionEvent);
  if (h > DUST) events.push(sell(t, 110, h / 2));
  const slot: OrderSlot | undefined = c.buy ?? c.sell;
  if (slot) {
    const o = ExchangeOrder.fromSlot(slot, c.market);
    const half = o.remaining / 2;
    const partlyFilled = o.clone();
    partlyFilled.fill(t, half);
    const filled = o.clone();
    filled.fill(t, o.remaining);
    const accepted = o.accepted(t);
    events.push(
      accepted,
      { type: 'order.feeCorrected', ts: t, order: (accepted as Extract<PositionEvent, { type: 'order.accepted' }>).order, delta: 0.01 },
      o.clone().fill(t, half),
      o.clone().fill(t, o.remaining),
      o.clone().cancelled(t),
      partlyFilled.clone().cancelled(t),
      o.rejected(t, 'unknown_order'),
      o.queryResult(t),
      partlyFilled.queryResult(t),
      filled.queryResult(t),
      (() => {
        const x = o.clone();
        x.cancelled(t);
        return x.queryResult(t);
      })(),
      (() => {
        const x = partlyFilled.clone();
        x.cancelled(t);
        return x.queryResult(t);
      })(),
      o.queryResult(t, false),
    );
  }
  return events;
}

/** What tells snapshots apart for the guards: state, order flags, whether the sell is for all of the holding. */
function signature(s: Snapshot): string {
  const c = s.context;
  const flags = (o: OrderSlot | undefined) => o && [o.acked, o.filled > DUST, isFullyFilled(o)];
  const sellsAll = c.sell ? c.sell.amount >= c.boughtBefore - c.soldBefore - DUST : undefined;
  return JSON.stringify([s.value, s.status, flags(c.buy), flags(c.sell), sellsAll, held(c) > DUST, c.soldBefore > DUST, c.cancelTs !== undefined]);
}

const paths: Array<StatePath<Snapshot, PositionEvent>> = getShortestPaths(positionMachine, { input: INPUT, events: eventsFor, serializeState: signature }).sort((a, b) => a.weight - b.weight);

interface Witness {
  readonly prefix: readonly PositionEvent[];
  readonly event: PositionEvent;
}

/**
 * The snapshot a walk's events really lead to. With the coarse `signature`, @xstate/graph keeps one
 * snapshot per signature and may report one reached by another walk, so the walk is replayed.
 */
function walkEnd(events: readonly PositionEvent[]): Snapshot {
  let [snapshot] = initialTransition(positionMachine, INPUT);
  for (const e of events) [snapshot] = transition(positionMachine, snapshot, e);
  return snapshot;
}

/** The shortest walk to the transition's source state and an event whose guards select exactly that branch. */
function findWitness(key: string): Witness | undefined {
  for (const path of paths) {
    const prefix = path.steps.slice(1).map((s) => s.event);
    const end = walkEnd(prefix);
    for (const event of eventsFor(end)) {
      const taken = positionMachine.getTransitionData(end, event).map(transitionKey);
      if (taken.length === 1 && taken[0] === key) return { prefix, event };
    }
  }
  return undefined;
}

/** Plays the witness on a real actor; returns the transitions the last event took, the state and the effects. */
function replay(w: Witness) {
  const effects: RecordedEffect[] = [];
  const taken: string[] = [];
  let recording = false;
  const actor = createActor(recordingMachine(effects), {
    input: INPUT,
    inspect: (e) => {
      if (recording && e.type === '@xstate.microstep') taken.push(...e._transitions.map(transitionKey));
    },
  }).start();
  for (const e of w.prefix) actor.send(e);
  const before = effects.length;
  recording = true;
  actor.send(w.event);
  return { taken, state: String(actor.getSnapshot().value), effects: effects.slice(before), status: actor.getSnapshot().status };
}

describe('position graph', () => {
  it('the definition has exactly the transitions of the spec table, with the same guards and targets', () => {
    const fromDefinition = rows.map((r) => ({ key: r.key, guard: r.guard, target: r.target, effect: r.actions.filter((a) => a in EFFECTS).join(',') }));
    const fromSpec = [...spec.entries()].map(([key, s]) => ({ key, guard: s.guard, target: s.target, effect: s.effect }));
    expect(fromDefinition).toEqual(fromSpec);
    expect(rows).toHaveLength(56);
  });

  it('every state is reached by a walk of the graph', () => {
    const reached = new Set(paths.map((p) => String(p.state.value)));
    expect([...reached].sort()).toEqual(Object.keys(positionMachine.root.states).sort());
  });

  const covered = new Set<string>();
  describe.each([...spec.entries()].map(([key, s]) => ({ key, ...s })))('$key [$guard] → $target', ({ key, target, effect, source }) => {
    it('is reached and taken, landing on the spec target with the spec effect', () => {
      const w = findWitness(key);
      expect(w, `no walk reaches ${key} with its guard true`).toBeDefined();
      const r = replay(w!);
      expect(r.taken).toEqual([key]);
      // A root transition ('position') stays in whichever state it was taken.
      if (source !== 'position') expect(r.state).toBe(target === '(stays)' ? source : target);
      if (target === 'settled') expect(r.status).toBe('done');
      expect(r.effects.map((e) => e.kind)).toEqual(effect ? effect.split(',').map((a) => EFFECTS[a]) : []);
      // Effects name the order the transition is about.
      for (const e of r.effects) expect(e.clientId).toMatch(new RegExp(`^${INPUT.positionId}-[bs]\\d+$`));
      covered.add(key);
    });
  });

  it('covered every transition read from the definition', () => {
    expect([...covered].sort()).toEqual(rows.map((r) => r.key).sort());
  });
});

describe('docs/machines.md', () => {
  it.each([
    ['position', positionMachine, Object.keys(EFFECTS)],
    ['bot', botMachine, undefined],
  ] as const)('lists every transition of the %s machine as the definition has it', (_name, machine, effects) => {
    const doc = readFileSync(new URL('../../docs/machines.md', import.meta.url), 'utf8');
    const missing = transitionRows(machine)
      .map((r) => markdownRow(r, effects))
      .filter((row) => !doc.includes(row));
    expect(missing).toEqual([]);
  });
});
