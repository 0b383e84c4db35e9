import { toDirectedGraph, type DirectedGraphNode } from '@xstate/graph';
import type { AnyStateMachine } from 'xstate';
import { escapeHtml } from './escape-html.js';

/** One transition of the definition: a (state, event, guard branch) and where it leads. */
export interface StatechartTransition {
  /** `source · event #branch`, unique per transition and stable across `.provide()` copies. */
  readonly key: string;
  readonly source: string;
  /** The source itself for a transition without a target (`stays`). */
  readonly target: string;
  readonly stays: boolean;
  readonly event: string;
  readonly branch: number;
  readonly guard: string;
  readonly actions: readonly string[];
}

export interface StatechartNode {
  /** State path joined by dots (`buying`, `a.b`). */
  readonly id: string;
  readonly type: string;
  readonly initial: boolean;
  readonly final: boolean;
  /** Row of the drawing, top to bottom. */
  readonly row: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The transitions from one state to another (or to itself), drawn as one arc. */
export interface StatechartEdge {
  readonly from: string;
  readonly to: string;
  readonly transitions: readonly StatechartTransition[];
  /** Distinct events, in definition order. */
  readonly events: readonly string[];
  /** `forward` (down, drawn right), `back` (up, drawn left) or `self`. */
  readonly kind: 'forward' | 'back' | 'self';
  /** SVG path data. */
  readonly d: string;
  readonly labelX: number;
  readonly labelY: number;
}

export interface Statechart {
  readonly id: string;
  readonly initial: string;
  readonly nodes: readonly StatechartNode[];
  readonly edges: readonly StatechartEdge[];
  readonly transitions: readonly StatechartTransition[];
  readonly width: number;
  readonly height: number;
}

/** Renders a guard as written: `isBuyEvent`, `and(isBuyEvent, buyComplete)`, `not(stillHolding)`. */
export function guardLabel(guard: unknown): string {
  if (guard === undefined || guard === null) return '';
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const g = guard as { check?: { name?: string }; guards?: unknown; guard?: unknown; name?: string };
    if (!g.check) return g.name || 'inline';
    const op = g.check.name?.replace(/^check/, '').toLowerCase() || 'fn';
    const inner = Array.isArray(g.guards) ? g.guards : [g.guards ?? g.guard];
    return `${op}(${inner.map(guardLabel).join(', ')})`;
  }
  if (typeof guard === 'object' && 'type' in guard) return String((guard as { type: unknown }).type);
  return String(guard);
}

function actionLabel(action: unknown): string {
  if (typeof action === 'string') return action;
  if (typeof action === 'object' && action !== null && 'type' in action) return String((action as { type: unknown }).type);
  return 'inline';
}

function collect(node: DirectedGraphNode): DirectedGraphNode[] {
  return [node, ...node.children.flatMap(collect)];
}

interface StateNodeLike {
  readonly path: readonly string[];
  readonly key: string;
  readonly type: string;
  readonly transitions: ReadonlyMap<string, readonly unknown[]>;
}

function pathOf(node: StateNodeLike): string {
  return node.path.join('.') || node.key;
}

const ROW = 62;
const NODE_W = 150;
const NODE_H = 30;
const TOP = 24;
const ARC_BASE = 26;
const ARC_STEP = 24;
const LABEL_ROOM = 190;

/**
 * The machine's statechart read from its definition (`@xstate/graph`'s `toDirectedGraph` over
 * `machine.root`), laid out as an arc diagram: the leaf states one per row in flow order (longest
 * path from the initial state once the edges back up the flow are set aside), transitions down the
 * flow as arcs on the right, back up the flow on the left, and a state's own transitions as a loop.
 * Nested states are drawn flat, by their leaf paths.
 */
export function statechartOf(machine: AnyStateMachine): Statechart {
  const graph = toDirectedGraph(machine);
  const all = collect(graph);
  const transitions: StatechartTransition[] = [];
  for (const node of all) {
    for (const edge of node.edges) {
      const t = edge.transition as unknown as { source: StateNodeLike; target?: readonly StateNodeLike[]; eventType: string; guard?: unknown; actions: readonly unknown[] };
      const source = pathOf(t.source);
      const branch = (t.source.transitions.get(t.eventType) ?? []).indexOf(t);
      transitions.push({
        key: `${source} · ${t.eventType} #${branch}`,
        source,
        target: t.target && t.target.length > 0 ? pathOf(t.target[0] as StateNodeLike) : source,
        stays: !t.target || t.target.length === 0,
        event: t.eventType,
        branch,
        guard: guardLabel(t.guard),
        actions: t.actions.map(actionLabel),
      });
    }
  }
  const leaves = all.filter((n) => n !== graph && n.children.length === 0).map((n) => n.stateNode as unknown as StateNodeLike);
  const ids = leaves.map(pathOf);
  const root = machine.root as unknown as { initial?: { target?: readonly StateNodeLike[] } };
  const initial = root.initial?.target?.[0] ? pathOf(root.initial.target[0]) : (ids[0] ?? '');

  // Depth-first from the initial state in definition order: an edge to a state on the stack goes back up the flow.
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const t of transitions) if (!t.stays && t.source !== t.target && out.has(t.source) && out.has(t.target)) out.get(t.source)?.push(t.target);
  const back = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const visit = (id: string): void => {
    state.set(id, 'open');
    for (const next of out.get(id) ?? []) {
      const s = state.get(next);
      if (s === 'open') back.add(`${id}→${next}`);
      else if (s === undefined) visit(next);
    }
    state.set(id, 'done');
  };
  if (out.has(initial)) visit(initial);
  for (const id of ids) if (!state.has(id)) visit(id);
  // Longest path over the forward edges (a DAG now), in topological order.
  const depth = new Map<string, number>(ids.map((id) => [id, 0]));
  const order: string[] = [];
  const seen = new Set<string>();
  const topo = (id: string): void => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const next of out.get(id) ?? []) if (!back.has(`${id}→${next}`)) topo(next);
    order.unshift(id);
  };
  for (const id of [initial, ...ids]) if (out.has(id)) topo(id);
  for (const id of order) for (const next of out.get(id) ?? []) if (!back.has(`${id}→${next}`)) depth.set(next, Math.max(depth.get(next) ?? 0, (depth.get(id) ?? 0) + 1));
  const rows = [...ids].sort((a, b) => (depth.get(a) ?? 0) - (depth.get(b) ?? 0) || ids.indexOf(a) - ids.indexOf(b));

  const spanMax = Math.max(1, rows.length - 1);
  const side = ARC_BASE + ARC_STEP * spanMax;
  const cx = LABEL_ROOM + side + NODE_W / 2;
  const width = 2 * (LABEL_ROOM + side) + NODE_W;
  const nodes: StatechartNode[] = rows.map((id, row) => {
    const leaf = leaves[ids.indexOf(id)] as StateNodeLike;
    return { id, type: leaf.type, initial: id === initial, final: leaf.type === 'final', row, x: cx - NODE_W / 2, y: TOP + row * ROW, width: NODE_W, height: NODE_H };
  });
  const rowOf = new Map(rows.map((id, i) => [id, i]));
  const groups = new Map<string, StatechartTransition[]>();
  for (const t of transitions) {
    if (!rowOf.has(t.source) || !rowOf.has(t.target)) continue;
    const key = `${t.source}→${t.target}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  // Labels: at the arc's apex, moved down a line while they would overlap one placed before.
  const placed: { x0: number; x1: number; y: number }[] = [];
  const place = (x: number, y: number, text: string, anchor: 'start' | 'end' | 'middle'): number => {
    const w = text.length * 5.6;
    const x0 = anchor === 'start' ? x : anchor === 'end' ? x - w : x - w / 2;
    let ly = y;
    while (placed.some((b) => Math.abs(b.y - ly) < 11 && b.x0 < x0 + w && x0 < b.x1)) ly += 11;
    placed.push({ x0, x1: x0 + w, y: ly });
    return ly;
  };
  for (const n of rows) place(cx, TOP + (rowOf.get(n) as number) * ROW + NODE_H / 2 + 4, n.padEnd(27), 'middle');
  const ordered = [...groups.values()].sort((p, q) => {
    const span = (ts: StatechartTransition[]): number => Math.abs((rowOf.get(ts[0]?.target ?? '') ?? 0) - (rowOf.get(ts[0]?.source ?? '') ?? 0));
    return span(p) - span(q);
  });
  const edges: StatechartEdge[] = ordered.map((ts) => {
    const first = ts[0] as StatechartTransition;
    const a = rowOf.get(first.source) as number;
    const b = rowOf.get(first.target) as number;
    const ya = TOP + a * ROW + NODE_H / 2;
    const yb = TOP + b * ROW + NODE_H / 2;
    const events = [...new Set(ts.map((t) => eventLabel(t.event)))];
    const base = { from: first.source, to: first.target, transitions: ts, events };
    const label = events.join(', ');
    if (a === b) {
      // A state's own transitions: a small loop under the node, the events below it.
      const x = cx;
      const y = ya + NODE_H / 2;
      return { ...base, kind: 'self' as const, d: `M ${x - 14} ${y} C ${x - 18} ${y + 14}, ${x + 18} ${y + 14}, ${x + 14} ${y}`, labelX: x, labelY: place(x, y + 22, `↻ ${label}`, 'middle') };
    }
    const forward = b > a;
    const off = ARC_BASE + ARC_STEP * Math.abs(b - a);
    const x0 = forward ? cx + NODE_W / 2 : cx - NODE_W / 2;
    const xc = forward ? x0 + off * 1.33 : x0 - off * 1.33;
    const dy = forward ? 5 : -5;
    const lx = forward ? x0 + off + 4 : x0 - off - 4;
    return {
      ...base,
      kind: forward ? ('forward' as const) : ('back' as const),
      d: `M ${x0} ${ya + dy} C ${xc} ${ya + dy}, ${xc} ${yb - dy}, ${x0} ${yb - dy}`,
      labelX: lx,
      labelY: place(lx, (ya + yb) / 2 + 4, label, forward ? 'start' : 'end'),
    };
  });
  return { id: graph.id, initial, nodes, edges, transitions, width, height: TOP * 2 + rows.length * ROW - (ROW - NODE_H) };
}


/**
 * The statechart as standalone SVG. Each state is a `<g class="state" data-state="…">` and each arc a
 * `<g class="edge" data-from="…" data-to="…" data-transitions="key|key">`, so a page highlights the
 * current state and the last transition by setting classes (`active`, `visited`, `last`).
 */
export function statechartSvg(chart: Statechart): string {
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="statechart" viewBox="0 0 ${chart.width} ${chart.height}" width="${chart.width}" height="${chart.height}" data-machine="${escapeHtml(chart.id)}">`);
  parts.push('<defs><marker id="sc-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="context-stroke"/></marker></defs>');
  for (const e of chart.edges) {
    const title = e.transitions.map((t) => `${t.source} —${eventLabel(t.event)}${t.guard ? ` [${t.guard}]` : ''}→ ${t.stays ? '(stays)' : t.target}${t.actions.length ? ` / ${t.actions.join(', ')}` : ''}`).join('\n');
    const anchor = e.kind === 'forward' ? 'start' : e.kind === 'back' ? 'end' : 'middle';
    const label = `${e.kind === 'self' ? '↻ ' : ''}${e.events.join(', ')}`;
    parts.push(
      `<g class="edge ${e.kind}" data-from="${escapeHtml(e.from)}" data-to="${escapeHtml(e.to)}" data-transitions="${escapeHtml(e.transitions.map((t) => t.key).join('|'))}"><title>${escapeHtml(title)}</title>` +
        `<path d="${e.d}" fill="none" marker-end="url(#sc-arrow)"/>` +
        `<text x="${e.labelX}" y="${e.labelY}" text-anchor="${anchor}">${escapeHtml(label)}</text></g>`,
    );
  }
  for (const n of chart.nodes) {
    const cls = ['state', n.initial ? 'initial' : '', n.final ? 'final' : ''].filter(Boolean).join(' ');
    parts.push(
      `<g class="${cls}" data-state="${escapeHtml(n.id)}"><title>${escapeHtml(n.id)}${n.final ? ' (final)' : ''}${n.initial ? ' (initial)' : ''}</title>` +
        `<rect x="${n.x}" y="${n.y}" width="${n.width}" height="${n.height}" rx="${n.final ? 15 : 6}"/>` +
        (n.final ? `<rect class="inner" x="${n.x + 3}" y="${n.y + 3}" width="${n.width - 6}" height="${n.height - 6}" rx="12" fill="none"/>` : '') +
        `<text x="${n.x + n.width / 2}" y="${n.y + n.height / 2 + 4}" text-anchor="middle">${escapeHtml(n.id)}</text></g>`,
    );
  }
  const init = chart.nodes.find((n) => n.initial);
  if (init) parts.push(`<g class="start"><circle cx="${init.x + init.width / 2}" cy="${init.y - 14}" r="5"/><path d="M ${init.x + init.width / 2} ${init.y - 9} L ${init.x + init.width / 2} ${init.y - 1}" marker-end="url(#sc-arrow)"/></g>`);
  parts.push('</svg>');
  return parts.join('\n');
}

/** An event as drawn: a timer's delayed event (`xstate.after.<delay>.<state id>`) reads `after <delay>`. */
function eventLabel(event: string): string {
  return event.startsWith('xstate.after.') ? `after ${event.split('.')[2]}` : event;
}
