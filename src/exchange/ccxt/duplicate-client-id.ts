/**
 * True when an exchange refused an order because its client id is already used (Upbit:
 * `duplicate_identifier` / "identifier is already used" / "identifier는 중복될 수 없습니다"; Binance -2010
 * "Duplicate order sent."). Such a refusal means the order exists: it is looked up, never rejected.
 * Matched on the words, not on one server's error name, so another exchange's wording is caught too.
 */
export function isDuplicateClientId(error: unknown): boolean {
  const text = error instanceof Error ? error.message : String(error);
  return /duplicate|identifier[^"]*already|already (used|exists)|중복/i.test(text);
}
