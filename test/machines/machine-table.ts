import { toDirectedGraph, type DirectedGraphNode } from '@xstate/graph';
import type { AnyStateMachine, AnyTransitionDefinition } from 'xstate';

/** One transition of a machine definition: a (state, event, guard branch) and where it leads. */
export interface TransitionRow {
  /** `source · event #branch`: unique per transition, stable across `.provide()` copies of a machine. */
  readonly key: string;
  readonly source: string;
  readonly event: string;
  /** Index of the branch among the candidates for this event in this state (checked in order). */
  readonly branch: number;
  readonly guard: string;
  /** Target state key, or `(stays)` for a transition without a target (actions only). */
  readonly target: string;
  /** Effects among the transition's actions (`placeOrder`, `cancelOrder`, `queryOrder`, ...). */
  readonly actions: readonly string[];
}

/** Renders a guard as written: `isBuyEvent`, `and(isBuyEvent, buyComplete)`, `not(stillHolding)`. */
export function guardLabel(guard: unknown): string {
  if (guard === undefined) return '';
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const g = guard as { check?: { name?: string }; guards?: unknown; guard?: unknown };
    const op = g.check?.name?.replace(/^check/, '').toLowerCase() ?? 'fn';
    const inner = Array.isArray(g.guards) ? g.guards : [g.guards ?? g.guard];
    return `${op}(${inner.map(guardLabel).join(', ')})`;
  }
  if (typeof guard === 'object' && guard !== null && 'type' in guard) return String((guard as { type: unknown }).type);
  return String(guard);
}

function actionLabel(action: unknown): string {
  if (typeof action === 'string') return action;
  if (typeof action === 'object' && action !== null && 'type' in action) return String((action as { type: unknown }).type);
  return 'inline';
}

export function transitionKey(t: AnyTransitionDefinition): string {
  const candidates = t.source.transitions.get(t.eventType) ?? [];
  const branch = candidates.indexOf(t);
  const source = t.source.path.join('.') || t.source.key;
  return `${source} · ${t.eventType} #${branch}`;
}

function collect(node: DirectedGraphNode): DirectedGraphNode[] {
  return [node, ...node.children.flatMap(collect)];
}

/** Every transition of the machine, read from its definition through @xstate/graph's directed graph. */
export function transitionRows(machine: AnyStateMachine): TransitionRow[] {
  const rows: TransitionRow[] = [];
  for (const node of collect(toDirectedGraph(machine))) {
    for (const edge of node.edges) {
      const t = edge.transition;
      const source = t.source.path.join('.') || `(${t.source.key})`;
      rows.push({
        key: transitionKey(t),
        source,
        event: t.eventType,
        branch: (t.source.transitions.get(t.eventType) ?? []).indexOf(t),
        guard: guardLabel(t.guard),
        target: t.target ? t.target.map((s) => s.path.join('.')).join(', ') : '(stays)',
        actions: t.actions.map(actionLabel),
      });
    }
  }
  return rows;
}

/** A row of the markdown tables of docs/machines.md; `only` limits the actions shown (the position shows its effects). */
export function markdownRow(r: TransitionRow, only?: readonly string[]): string {
  const fx = only ? r.actions.filter((a) => only.includes(a)) : r.actions;
  // A timer's delayed event (`xstate.after.<delay>.<state id>`) reads as `after <delay>`.
  const event = r.event.startsWith('xstate.after.') ? `after ${r.event.split('.')[2]}` : r.event;
  return `| ${r.source} | \`${event}\` | ${r.branch} | ${r.guard ? `\`${r.guard}\`` : '—'} | ${r.target} | ${fx.length ? fx.join(', ') : '—'} |`;
}
