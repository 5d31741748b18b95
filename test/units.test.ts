import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { COUNT_PATTERN, parseCount, parseIntegerCount } from '../src/domain/core/index.js';

const accepted: [number | string, number][] = [
  [175e9, 175e9],
  [0, 0],
  [2048, 2048],
  ['175B', 175e9],
  ['175b', 175e9],
  ['175G', 175e9],
  ['2T', 2e12],
  ['2t', 2e12],
  ['300e9', 300e9],
  ['3E11', 3e11],
  ['16M', 16e6],
  ['16m', 16e6],
  ['1.5k', 1500],
  ['1.5K', 1500],
  ['7.5B', 7.5e9],
  ['1.1B', 1_100_000_000],
  ['0.1T', 100e9],
  ['1P', 1e15],
  ['175 B', 175e9],
  ['  2T  ', 2e12],
  ['.5M', 500_000],
  ['1.', 1],
  ['4096', 4096],
  ['1e3k', 1e6],
  ['1e-3k', 1],
];

const rejected: (number | string)[] = [
  '',
  '   ',
  'abc',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e400',
  '-5',
  '+5',
  '0x10',
  '1B2',
  'B',
  '1BB',
  '1,000',
  '1_000',
  '1.2.3',
  '5X',
  '1 000',
  Number.NaN,
  Number.POSITIVE_INFINITY,
  -5,
];

describe('parseCount', () => {
  for (const [input, expected] of accepted) {
    it(`accepts ${JSON.stringify(input)} as ${expected}`, () => {
      expect(parseCount(input)).toBe(expected);
    });
  }
  for (const input of rejected) {
    it(`rejects ${typeof input === 'string' ? JSON.stringify(input) : String(input)}`, () => {
      expect(parseCount(input)).toBeUndefined();
    });
  }

  it('round-trips any non-negative finite number written in exponent form', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e300, noNaN: true }), (x) => {
        expect(parseCount(x.toExponential())).toBe(x);
        expect(parseCount(x)).toBe(x);
      }),
    );
  });

  it('an integer with a suffix equals the integer times the suffix', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom(['k', 1e3], ['M', 1e6], ['B', 1e9], ['T', 1e12]), (n, [suffix, scale]) => {
        expect(parseCount(`${n}${suffix as string}`)).toBe(n * (scale as number));
      }),
    );
  });
});

describe('COUNT_PATTERN (for the JSON schema)', () => {
  const re = new RegExp(COUNT_PATTERN, 'u');
  it('matches every accepted string', () => {
    for (const [input] of accepted) if (typeof input === 'string') expect(re.test(input)).toBe(true);
  });
  it('rejects every malformed string (only overflow like "1e400" needs parseCount)', () => {
    for (const input of rejected) {
      if (typeof input !== 'string') continue;
      expect(re.test(input)).toBe(input === '1e400');
    }
  });
});

describe('parseIntegerCount', () => {
  it('keeps integers, drops fractions', () => {
    expect(parseIntegerCount('1.5k')).toBe(1500);
    expect(parseIntegerCount('15T')).toBe(15e12);
    expect(parseIntegerCount('1.5')).toBeUndefined();
    expect(parseIntegerCount(2.5)).toBeUndefined();
    expect(parseIntegerCount('abc')).toBeUndefined();
  });
});
