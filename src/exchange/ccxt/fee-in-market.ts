/**
 * Whether a fee the exchange reports is known in the market's own money: nothing charged, no currency named
 * (the quote, for ccxt and Binance's reports), or charged in the market's quote or base (Binance takes a
 * buy's fee from the coin bought). A fee in a third currency (BNB) is not: it is worth nothing in quote until
 * that currency's price is read (`CcxtDialect.tradeFees`), so the fill carries the estimate meanwhile.
 */
export function feeInMarket(currency: unknown, cost: number, base: string | undefined, quote: string | undefined): boolean {
  return cost === 0 || currency === undefined || currency === null || (currency !== '' && (currency === base || currency === quote));
}
