import { ACTION_COUNT } from './actions.js';
import { OBSERVATION_SIZE } from './observation.js';

/**
 * Self-play memory: n-step transitions (s, a, R, s', valid actions at s', discount) in flat typed arrays;
 * R is the discounted reward of the n steps, discount = γⁿ (0 when the episode ended within them).
 */
export interface ReplayMemory {
  readonly n: number;
  readonly obs: Float32Array;
  readonly action: Int32Array;
  readonly reward: Float32Array;
  readonly next: Float32Array;
  readonly nextMask: Uint8Array;
  readonly discount: Float32Array;
}

/** A growable memory writer. */
export class MemoryWriter {
  n = 0;
  #obs = new Float32Array(4096 * OBSERVATION_SIZE);
  #next = new Float32Array(4096 * OBSERVATION_SIZE);
  #mask = new Uint8Array(4096 * ACTION_COUNT);
  #action = new Int32Array(4096);
  #reward = new Float32Array(4096);
  #discount = new Float32Array(4096);

  push(obs: Float32Array, obsOffset: number, action: number, reward: number, next: Float32Array, nextOffset: number, nextMask: Uint8Array, maskOffset: number, discount: number): void {
    if (this.n + 1 > this.#action.length) this.#grow();
    const i = this.n++;
    this.#obs.set(obs.subarray(obsOffset, obsOffset + OBSERVATION_SIZE), i * OBSERVATION_SIZE);
    this.#next.set(next.subarray(nextOffset, nextOffset + OBSERVATION_SIZE), i * OBSERVATION_SIZE);
    this.#mask.set(nextMask.subarray(maskOffset, maskOffset + ACTION_COUNT), i * ACTION_COUNT);
    this.#action[i] = action;
    this.#reward[i] = reward;
    this.#discount[i] = discount;
  }

  #grow(): void {
    const cap = this.#action.length * 2;
    const g = <T extends Float32Array | Int32Array | Uint8Array>(a: T, size: number, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.#obs = g(this.#obs, cap * OBSERVATION_SIZE, (n) => new Float32Array(n));
    this.#next = g(this.#next, cap * OBSERVATION_SIZE, (n) => new Float32Array(n));
    this.#mask = g(this.#mask, cap * ACTION_COUNT, (n) => new Uint8Array(n));
    this.#action = g(this.#action, cap, (n) => new Int32Array(n));
    this.#reward = g(this.#reward, cap, (n) => new Float32Array(n));
    this.#discount = g(this.#discount, cap, (n) => new Float32Array(n));
  }

  finish(): ReplayMemory {
    const n = this.n;
    return {
      n,
      obs: this.#obs.slice(0, n * OBSERVATION_SIZE),
      action: this.#action.slice(0, n),
      reward: this.#reward.slice(0, n),
      next: this.#next.slice(0, n * OBSERVATION_SIZE),
      nextMask: this.#mask.slice(0, n * ACTION_COUNT),
      discount: this.#discount.slice(0, n),
    };
  }
}
