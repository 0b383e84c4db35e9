import type { Store } from '../../store/index.js';
import type { CommandIo } from '../command.js';

/** After closing the store: one line when Redis did not take everything (monitors would miss the end). */
export function reportStoreLoss(store: Store, command: string, io: CommandIo): void {
  if (store.backend !== 'redis') return;
  const h = store.health;
  if (h.status === 'ok' && h.droppedMessages === 0) return;
  io.stderr.write(`${command}: Redis did not take everything: ${h.reason || `${h.droppedMessages} pub/sub messages not delivered`}\n`);
}
