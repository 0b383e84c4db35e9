import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { positionMachine } from '../../machines/index.js';
import { statechartOf, statechartSvg } from '../../src/report/statechart.js';

function definitionTransitions(): number {
  let n = 0;
  for (const list of positionMachine.root.transitions.values()) n += list.length;
  for (const state of Object.values(positionMachine.root.states)) for (const list of state.transitions.values()) n += list.length;
  return n;
}

describe('statechart of the position machine', () => {
  const chart = statechartOf(positionMachine);

  it('has every state of the definition, idle first and settled (final) last', () => {
    expect(chart.nodes.map((n) => n.id).sort()).toEqual(Object.keys(positionMachine.root.states).sort());
    expect(chart.initial).toBe('idle');
    expect(chart.nodes[0]?.id).toBe('idle');
    expect(chart.nodes.at(-1)).toMatchObject({ id: 'settled', final: true });
    expect(chart.nodes.filter((n) => n.initial).map((n) => n.id)).toEqual(['idle']);
    // One row each, no overlap.
    expect(new Set(chart.nodes.map((n) => n.y)).size).toBe(chart.nodes.length);
    // buying comes before holding, holding before selling (the flow reads top to bottom).
    const row = (id: string): number => chart.nodes.find((n) => n.id === id)?.row ?? -1;
    expect(row('buying')).toBeLessThan(row('holding'));
    expect(row('holding')).toBeLessThan(row('selling'));
  });

  it('has every transition of the definition, each once, with guards, targets and actions', () => {
    expect(chart.transitions).toHaveLength(definitionTransitions());
    expect(new Set(chart.transitions.map((t) => t.key)).size).toBe(chart.transitions.length);
    expect(chart.transitions.find((t) => t.key === 'idle · decision.buy #0')).toMatchObject({ source: 'idle', target: 'buying', guard: 'validBuy', stays: false, actions: ['startBuy', 'placeOrder'] });
    expect(chart.transitions.find((t) => t.key === 'buying · order.fill #0')).toMatchObject({ target: 'holding', guard: 'and(isBuyEvent, buyComplete)' });
    expect(chart.transitions.find((t) => t.key === 'selling · order.fill #0')).toMatchObject({ target: 'settled', guard: 'and(isSellEvent, not(stillHolding))' });
    expect(chart.transitions.find((t) => t.key === 'buying · order.accepted #0')).toMatchObject({ target: 'buying', stays: true });
    // Every transition of a state is drawn in exactly one edge, and an edge joins one pair of states; the
    // root's (taken in any state, staying there: a fee corrected) is listed, not drawn.
    const drawn = chart.edges.flatMap((e) => e.transitions.map((t) => t.key));
    expect(drawn.sort()).toEqual(chart.transitions.filter((t) => t.source !== 'position').map((t) => t.key).sort());
    expect(chart.transitions.filter((t) => t.source === 'position').map((t) => t.key)).toEqual(['position · order.feeCorrected #0']);
    for (const e of chart.edges) for (const t of e.transitions) expect([t.source, t.target]).toEqual([e.from, e.to]);
    expect(chart.edges.find((e) => e.from === 'buying' && e.to === 'buying')?.kind).toBe('self');
    expect(chart.edges.find((e) => e.from === 'idle' && e.to === 'buying')?.kind).toBe('forward');
    expect(chart.edges.find((e) => e.from === 'selling' && e.to === 'holding')?.kind).toBe('back');
    // A timer's transition is drawn with its delay's name; a look-up asked again re-enters its state.
    expect(chart.edges.find((e) => e.from === 'buying' && e.to === 'unknownBuy')?.events).toEqual(['order.rejected', 'after buyAck']);
    expect(chart.edges.find((e) => e.from === 'unknownBuy' && e.to === 'unknownBuy')).toMatchObject({ kind: 'self', events: ['after lookup'] });
  });

  it('follows the definition it is given, not a fixed picture', () => {
    const m = createMachine({ id: 'toy', initial: 'a', states: { a: { on: { GO: 'b' } }, b: { on: { NEXT: 'c', SELF: {} } }, c: { on: { BACK: 'a' }, type: 'atomic' }, d: { type: 'final' } } });
    const toy = statechartOf(m);
    expect(toy.nodes.map((n) => n.id)).toEqual(['a', 'd', 'b', 'c']);
    expect(toy.edges.map((e) => `${e.from}>${e.to}:${e.kind}:${e.events.join('+')}`).sort()).toEqual(['a>b:forward:GO', 'b>b:self:SELF', 'b>c:forward:NEXT', 'c>a:back:BACK']);
  });

  it('renders SVG with one group per state and per arc, keyed for highlighting', () => {
    const svg = statechartSvg(chart);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<g class="state[^"]*" data-state="/g)).toHaveLength(chart.nodes.length);
    expect(svg.match(/<g class="edge /g)).toHaveLength(chart.edges.length);
    expect(svg).toContain('data-transitions="idle · decision.buy #0"');
    expect(svg.split('<g').length).toBe(svg.split('</g>').length);
    expect(svg).not.toMatch(/NaN|undefined/);
    // Guard text with & or < would be escaped.
    expect(svg).not.toMatch(/\[[^\]]*<[^\]]*\]/);
  });
});
