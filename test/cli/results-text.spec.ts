/**
 * The decisions lines of a run's printed results: each reason with its count after a colon (a count
 * beside "below the minimum order" read as the minimum), and a hint when not one buy was big enough for
 * the exchange (a KRW market under a profile with a USDT-sized balance), which no other line says.
 */
import { describe, expect, it } from 'vitest';
import { resultsLines } from '../../src/cli/commands/results-text.js';
import type { DecisionRow, RunResults } from '../../src/report/results.js';

function results(decisions: readonly DecisionRow[]): RunResults {
  return { pairs: [], exits: [], daily: [], monthly: [], market: { change: null, markets: 0, excess: null }, halts: [], decisions };
}

const HINT = /every buy was below the exchange's minimum order: raise simulator\.initialBalance .* for KRW markets/;

describe('the printed decisions', () => {
  it('give each reason its count after a colon', () => {
    const lines = resultsLines(results([{ kind: 'BUY', total: 40, acted: 10, suppressed: 30, why: { 'no-slot': 25, 'below-minimum': 5 } }]), 0, 'KRW');
    expect(lines).toContain('decisions   BUY 40: 10 acted on, 30 suppressed (no free slot: 25, below the minimum order: 5)');
    expect(lines.join('\n')).not.toMatch(HINT);
  });

  it('say what to change when every buy was below the minimum order', () => {
    const lines = resultsLines(results([{ kind: 'BUY', total: 12, acted: 0, suppressed: 12, why: { 'below-minimum': 12 } }]), 0, 'KRW');
    expect(lines.join('\n')).toMatch(HINT);
    // Not when something else stopped some of them (the minimum is then not the whole story).
    const mixed = resultsLines(results([{ kind: 'BUY', total: 12, acted: 0, suppressed: 12, why: { 'below-minimum': 10, halted: 2 } }]), 0, 'KRW');
    expect(mixed.join('\n')).not.toMatch(HINT);
  });
});
