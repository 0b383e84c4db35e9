/**
 * `value` as `toLocaleString('en-US', { maximumFractionDigits })` writes it (1234567.5 → "1,234,567.5"), without
 * Intl: the first toLocaleString of a process loads ICU's number formats, about 20 ms of the main thread,
 * which a backtest paid right after its first batch arrived. Like Intl it rounds the shortest decimal that
 * reads back as the double (5646692973561.585, whose exact binary value is below ...585), half away from zero.
 */
export function groupedNumber(value: number, maximumFractionDigits = 3): string {
  if (!Number.isFinite(value)) return value !== value ? 'NaN' : value > 0 ? '∞' : '-∞';
  // The shortest round-trip digits and their exponent: "1.2345e+3" → 12345, 3.
  const [mantissa, exponentText] = Math.abs(value).toExponential().split('e') as [string, string];
  let digits = mantissa.replace('.', '');
  // Digits before the decimal point: the rest are the fraction.
  let point = Number(exponentText) + 1;
  if (point <= 0) {
    digits = '0'.repeat(1 - point) + digits;
    point = 1;
  } else if (digits.length < point) digits += '0'.repeat(point - digits.length);
  const kept = point + maximumFractionDigits;
  if (digits.length > kept) {
    const roundUp = (digits.charCodeAt(kept) as number) >= 53;
    digits = digits.slice(0, kept);
    if (roundUp) {
      let i = kept - 1;
      while (i >= 0 && digits[i] === '9') i--;
      digits = i < 0 ? `1${'0'.repeat(kept)}` : `${digits.slice(0, i)}${String.fromCharCode((digits.charCodeAt(i) as number) + 1)}${'0'.repeat(kept - 1 - i)}`;
      if (i < 0) point++;
    }
  }
  const whole = digits.slice(0, point).replace(/^0+(?=\d)/, '');
  const fraction = digits.slice(point).replace(/0+$/, '');
  let grouped = '';
  for (let end = whole.length; end > 0; end -= 3) grouped = end > 3 ? `,${whole.slice(end - 3, end)}${grouped}` : `${whole.slice(0, end)}${grouped}`;
  // Intl keeps the sign of a negative that rounds to zero, and of -0: "-0".
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  return `${sign}${grouped}${fraction !== '' ? `.${fraction}` : ''}`;
}
