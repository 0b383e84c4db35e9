import type { Config } from '../../config.js';
import { LiveStartError } from '../../engine/nodes/live-node.js';
import { MarketUnreachableError, openLiveMarket as openMarket, type LiveMarket } from '../../engine/nodes/live-market.js';
import { UsageError, type ParsedArgs } from '../args.js';
import type { CommandIo } from '../command.js';
import { exchangeOverrides, exchangeUrls } from './live-flags.js';

export type { LiveMarket } from '../../engine/nodes/live-market.js';

/**
 * The live market data of a paper or live session (src/engine/nodes/live-market.ts) from the URL flags.
 * Returns undefined after printing one line when the exchange cannot be reached; a setting it cannot
 * serve is a usage error.
 */
export async function openLiveMarket(config: Config, args: ParsedArgs, io: CommandIo, label: string): Promise<LiveMarket | undefined> {
  const id = config.exchange.id;
  try {
    return await openMarket({ config, urls: id === 'upbit' ? exchangeUrls(args) : exchangeOverrides(args), signal: io.signal });
  } catch (error) {
    if (error instanceof LiveStartError && error.usage) throw new UsageError(error.message);
    if (!(error instanceof MarketUnreachableError)) throw error;
    io.stderr.write(`coinrx ${label}: cannot reach ${id === 'upbit' ? 'Upbit' : id} at ${error.where} (${error.message}); ${label} trading needs live market data — for the offline twin run: npm run demo\n`);
    return undefined;
  }
}
