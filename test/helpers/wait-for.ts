/**
 * Polls `predicate` every `intervalMs` until it is true; rejects after `timeoutMs` naming `what` (a function
 * when the message is read only on failure, e.g. a process's output so far).
 */
export async function waitFor(predicate: () => boolean | Promise<boolean>, what: string | (() => string), timeoutMs = 5_000, intervalMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
