// Big counts given as numbers or as strings with an SI suffix (design/API.md "Conventions"):
// "175B", "2T", "300e9", "16M", "1.5k". K=1e3, M=1e6, B or G=1e9, T=1e12, P=1e15, suffix
// case-insensitive ("16m" is 16e6, never milli), spaces allowed around the suffix.

/** Decimal exponent of each SI count suffix (API.md: K=1e3, M=1e6, B or G=1e9, T=1e12, P=1e15). */
export const COUNT_SUFFIX_EXPONENTS: Readonly<Record<string, number>> = {
  k: 3,
  m: 6,
  b: 9,
  g: 9,
  t: 12,
  p: 15,
};

/**
 * ECMAScript regex source for a count string, for the JSON schema
 * (`Type.Union([Type.Number(), Type.String({ pattern: COUNT_PATTERN })])`).
 * Anchored; a non-negative decimal, optional exponent, optional suffix. It cannot reject
 * overflow ("1e400"): call parseCount after validation and report undefined as a bad field.
 */
export const COUNT_PATTERN = '^\\s*(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?\\s*[kKmMbBgGtTpP]?\\s*$';

const COUNT_RE = /^\s*(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+))?\s*([kKmMbBgGtTpP])?\s*$/;

/**
 * A non-negative finite count from a number or an SI-suffixed string; undefined when the
 * value is not one (empty, not a number, negative, hexadecimal, overflowing, trailing text).
 */
export function parseCount(value: number | string): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? value : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const match = COUNT_RE.exec(value);
  if (!match) return undefined;
  const mantissa = match[1] as string;
  const exponent = match[2] === undefined ? 0 : Number(match[2]);
  const suffixExponent = match[3] === undefined ? 0 : (COUNT_SUFFIX_EXPONENTS[match[3].toLowerCase()] ?? 0);
  // One decimal conversion ("1.1e9"), not 1.1 * 1e9, so "1.1B" is exactly 1100000000.
  const parsed = Number(`${mantissa}e${exponent + suffixExponent}`);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** parseCount, but only integers (token counts, batch sizes): "1.5" is undefined, "1.5k" is 1500. */
export function parseIntegerCount(value: number | string): number | undefined {
  const parsed = parseCount(value);
  return parsed !== undefined && Number.isInteger(parsed) ? parsed : undefined;
}
