import { Writable } from 'node:stream';
import type { CommandIo } from '../../src/cli/command.js';

/** A command's io with stdout and stderr captured as text, and an abort controller standing for Ctrl-C. */
export function captureIo(env: NodeJS.ProcessEnv = {}): { io: CommandIo; out: () => string; err: () => string; controller: AbortController } {
  let out = '';
  let err = '';
  const controller = new AbortController();
  const sink = (add: (s: string) => void): Writable =>
    new Writable({
      write(chunk: Buffer, _e, done) {
        add(chunk.toString());
        done();
      },
    });
  return { io: { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), interactive: false, env, signal: controller.signal }, out: () => out, err: () => err, controller };
}
