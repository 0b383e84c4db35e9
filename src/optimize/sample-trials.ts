import { Random } from '../core/random.js';
import type { Parameter, ParameterValue, SearchSpace } from './search-space.js';

/** One trial's parameter values, keyed by configuration path in the space's order. */
export type TrialParameters = Readonly<Record<string, ParameterValue>>;

/** Six significant digits: readable, and what a `--set` of the printed value reproduces. */
function tidy(x: number): number {
  return Number(x.toPrecision(6));
}

function sample(parameter: Parameter, random: Random): ParameterValue {
  const u = random.next();
  if (parameter.kind === 'choice') return parameter.choices[Math.floor(u * parameter.choices.length)] as ParameterValue;
  const { min, max } = parameter;
  if (parameter.integer) {
    const step = parameter.step !== undefined ? Math.max(1, Math.round(parameter.step)) : 1;
    // Log-uniform over [min, max + 1), floored: every whole number in range can come up.
    if (parameter.log) return Math.min(max, Math.floor(Math.exp(Math.log(min) + u * (Math.log(max + 1) - Math.log(min)))));
    return min + step * Math.floor(u * (Math.floor((max - min) / step) + 1));
  }
  if (parameter.step !== undefined) {
    const k = Math.floor(u * (Math.floor((max - min) / parameter.step + 1e-9) + 1));
    return Number((min + k * parameter.step).toPrecision(12));
  }
  if (parameter.log) return Math.min(max, Math.max(min, tidy(Math.exp(Math.log(min) + u * (Math.log(max) - Math.log(min))))));
  return Math.min(max, Math.max(min, tidy(min + u * (max - min))));
}

/**
 * `count` trials drawn uniformly (log-uniformly for `log` ranges) from the space with a generator seeded
 * by `seed`: the same seed and space give the same trials, whoever runs them.
 */
export function sampleTrials(space: SearchSpace, count: number, seed: number): TrialParameters[] {
  const random = new Random(seed);
  const trials: TrialParameters[] = [];
  for (let i = 0; i < count; i++) {
    const values: Record<string, ParameterValue> = {};
    for (const parameter of space.parameters) values[parameter.path] = sample(parameter, random);
    trials.push(values);
  }
  return trials;
}
