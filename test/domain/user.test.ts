import fc from 'fast-check';
import { buildUser, normaliseNewUser, parseNewUser } from '../../lambda/domain/user';
import { isUserId, userIdForEmail, uuidV5 } from '../../lambda/domain/user-id';
import { ValidationError } from '../../lambda/domain/errors';

function problemsFor(input: unknown): { path: string; message: string }[] {
  try {
    parseNewUser(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return [...(error as ValidationError).problems];
  }
  throw new Error('expected a ValidationError');
}

describe('parseNewUser', () => {
  it('accepts a name, an email and an optional E.164 phone', () => {
    expect(parseNewUser({ name: 'Ada', email: 'ada@example.com', phone: '+447700900123' })).toEqual({
      name: 'Ada',
      email: 'ada@example.com',
      phone: '+447700900123',
    });
  });

  it('names every problem: empty name, bad email, bad phone, unknown field', () => {
    expect(problemsFor({ name: '  ', email: 'nope', phone: '0123', admin: true })).toEqual([
      { path: 'name', message: 'must not be empty' },
      { path: 'email', message: 'must be an email address' },
      { path: 'phone', message: 'must be an E.164 phone number such as +447700900123' },
      { path: '', message: 'has fields this object does not accept: admin' },
    ]);
  });

  it('tells a missing field from one of the wrong type', () => {
    expect(problemsFor({ name: 4 })).toEqual([
      { path: 'name', message: 'must be a string' },
      { path: 'email', message: 'is required' },
    ]);
  });

  it.each([[null], [[]], ['a string'], [42]])('refuses %p as not an object', (input) => {
    expect(problemsFor(input)).toEqual([{ path: '', message: 'must be an object' }]);
  });

  it('refuses names over 100 characters and emails over 254', () => {
    expect(problemsFor({ name: 'x'.repeat(101), email: `${'a'.repeat(250)}@example.com` }).map((problem) => problem.path)).toEqual([
      'name',
      'email',
    ]);
  });

  it('never throws anything but a ValidationError, whatever the input', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        try {
          parseNewUser(input);
        } catch (error) {
          return error instanceof ValidationError && error.problems.length > 0;
        }
        return true;
      }),
    );
  });
});

describe('normaliseNewUser', () => {
  it('trims and collapses whitespace in names and lower-cases emails', () => {
    expect(normaliseNewUser({ name: '  Ada \t  Lovelace ', email: 'Ada@Example.COM' })).toEqual({
      name: 'Ada Lovelace',
      email: 'ada@example.com',
    });
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.record({ name: fc.string(), email: fc.string() }), (input) => {
        const once = normaliseNewUser(input);
        expect(normaliseNewUser(once)).toEqual(once);
      }),
    );
  });
});

describe('user IDs', () => {
  it('are RFC 9562 version 5 UUIDs (checked against the RFC example)', () => {
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('are the same for the same email and differ between emails', () => {
    fc.assert(
      fc.property(fc.emailAddress(), fc.emailAddress(), (a, b) => {
        expect(userIdForEmail(a)).toBe(userIdForEmail(a));
        expect(isUserId(userIdForEmail(a))).toBe(true);
        if (a !== b) expect(userIdForEmail(a)).not.toBe(userIdForEmail(b));
      }),
    );
  });

  it('come from the normalised email, so two spellings of one address are one user', () => {
    const now = new Date('2026-11-27T09:00:00Z');
    const first = buildUser(normaliseNewUser({ name: 'Ada', email: 'ADA@example.com' }), now);
    const second = buildUser(normaliseNewUser({ name: 'Ada', email: 'ada@EXAMPLE.com' }), now);

    expect(first.id).toBe(second.id);
    expect(first).toEqual({ id: first.id, name: 'Ada', email: 'ada@example.com', createdAt: '2026-11-27T09:00:00.000Z' });
  });
});
