import fc from 'fast-check';
import { ValidationError } from '../../lambda/domain/errors';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, decodeCursor, encodeCursor, parseLimit } from '../../lambda/domain/pagination';

describe('parseLimit', () => {
  it('defaults when absent or empty', () => {
    expect(parseLimit(undefined)).toBe(DEFAULT_PAGE_SIZE);
    expect(parseLimit('')).toBe(DEFAULT_PAGE_SIZE);
  });

  it('accepts every whole number from 1 to the maximum', () => {
    for (let limit = 1; limit <= MAX_PAGE_SIZE; limit += 1) expect(parseLimit(String(limit))).toBe(limit);
  });

  it.each([['0'], ['101'], ['-3'], ['1e2'], ['2.0'], [' 5'], ['abc'], ['99999']])('refuses %p', (raw) => {
    expect(() => parseLimit(raw)).toThrow(ValidationError);
  });
});

describe('cursors', () => {
  it('decode to the key they were made from', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (id) => {
        expect(decodeCursor(encodeCursor({ id }), ['id'])).toEqual({ id });
      }),
    );
  });

  it('are absent when the query has none', () => {
    expect(decodeCursor(undefined, ['id'])).toBeUndefined();
    expect(decodeCursor('', ['id'])).toBeUndefined();
  });

  it('refuse anything this API did not make, with a ValidationError and never another error', () => {
    fc.assert(
      fc.property(fc.string(), (raw) => {
        try {
          const key = decodeCursor(raw, ['id']);
          // Whatever decodes must have exactly the key's shape.
          expect(key === undefined || (Object.keys(key).length === 1 && typeof key.id === 'string')).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
        }
      }),
    );
  });
});
