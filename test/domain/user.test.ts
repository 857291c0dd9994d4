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

describe('parseNewUser: emails within the RFC 5321 and RFC 1035 limits', () => {
  const emailProblems = (email: string) => problemsFor({ name: 'Ada', email }).filter((problem) => problem.path === 'email');
  const label = (length: number) => 'a'.repeat(length);

  it.each([
    ['a domain label that ends in a hyphen', 'ada@example-.com'],
    ['a domain label that starts with a hyphen', 'ada@-example.com'],
    ['a 64-octet domain label', `ada@${label(64)}.com`],
    ['a 65-octet local part', `${label(65)}@example.com`],
    ['an empty domain label', 'ada@example..com'],
    ['a domain without a dot', 'ada@localhost'],
    ['an all-digit top-level domain', 'ada@example.123'],
    ['a local part with two dots in a row', 'ada..lovelace@example.com'],
    ['two addresses', 'ada@example.com bob@example.com'],
    ['an address of 255 octets', `${label(64)}@${label(63)}.${label(63)}.${label(62)}`],
  ])('refuses %s', (_case, email) => {
    expect(emailProblems(email)).toEqual([{ path: 'email', message: expect.stringMatching(/^must /) }]);
  });

  it.each([
    ['a 64-octet local part', `${label(64)}@example.com`],
    ['a 63-octet domain label', `ada@${label(63)}.com`],
    ['an address of exactly 254 octets', `${label(64)}@${label(63)}.${label(63)}.${label(61)}`],
    ['the special characters a dot-atom allows', "o'brien+tag!#$%&*/=?^_`{|}~-x@mail-1.example.co.uk"],
  ])('accepts %s', (_case, email) => {
    expect(parseNewUser({ name: 'Ada', email }).email).toBe(email);
  });

  it('accepts any address made of parts within the limits, and refuses it once a label ends in a hyphen', () => {
    const atom = fc.stringMatching(/^[a-z0-9!#$%&'*+/=?^_`{|}~-]{1,20}$/);
    const domainLabel = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/);
    const address = fc
      .record({
        local: fc.array(atom, { minLength: 1, maxLength: 3 }).map((atoms) => atoms.join('.')),
        labels: fc.array(domainLabel, { minLength: 1, maxLength: 3 }),
        tld: fc.stringMatching(/^[a-z]{2,10}$/),
      })
      .filter(({ local, labels, tld }) => local.length <= 64 && `${local}@${[...labels, tld].join('.')}`.length <= 254);
    fc.assert(
      fc.property(address, ({ local, labels, tld }) => {
        const email = `${local}@${[...labels, tld].join('.')}`;
        expect(parseNewUser({ name: 'Ada', email }).email).toBe(email);
        const broken = `${local}@${[`${labels[0].slice(0, 62)}-`, ...labels.slice(1), tld].join('.')}`;
        expect(emailProblems(broken)).toHaveLength(1);
      }),
    );
  });
});

describe('parseNewUser: surrounding whitespace is trimmed, then the value validated', () => {
  it('accepts an email, name and phone with spaces, tabs or line breaks around them, trimmed', () => {
    expect(parseNewUser({ name: ' \tAda Lovelace\n', email: '  ada@example.com \r\n', phone: ' +447700900123 ' })).toEqual({
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      phone: '+447700900123',
    });
  });

  it('refuses whitespace inside an email', () => {
    expect(problemsFor({ name: 'Ada', email: 'ada @example.com' })).toEqual([{ path: 'email', message: 'must be an email address' }]);
  });

  it('gives the same user for an address with and without surrounding whitespace', () => {
    const now = new Date('2026-11-30T00:00:00Z');
    const padded = buildUser(normaliseNewUser(parseNewUser({ name: 'Ada', email: ' Ada@Example.com ' })), now);
    const plain = buildUser(normaliseNewUser(parseNewUser({ name: 'Ada', email: 'ada@example.com' })), now);

    expect(padded).toEqual(plain);
  });
});

describe('parseNewUser: names', () => {
  const nameProblems = (name: string) => problemsFor({ name, email: 'ada@example.com' });

  it.each([
    ['a NUL character', 'Ada\u0000Lovelace', /control characters/],
    ['an ESC character', 'Ada\u001b[31m', /control characters/],
    ['a DEL character', 'Ada\u007f', /control characters/],
    ['a C1 control character', 'Ada\u0085', /control characters/],
    ['a right-to-left override', 'Ada\u202eecalevol', /bidirectional/],
    ['a left-to-right embedding', '\u202aAda', /bidirectional/],
    ['a first-strong isolate', 'Ada \u2068Lovelace\u2069', /bidirectional/],
    ['only zero-width spaces', '\u200b\u200b\u200b', /visible character/],
    ['only a zero-width joiner and a byte-order mark', '\u200d\ufeff', /visible character/],
    ['only Hangul fillers', '\u3164\u3164', /visible character/],
    ['only a soft hyphen', '\u00ad', /visible character/],
    ['an unpaired high surrogate', 'Ada\ud800', /unpaired UTF-16 surrogate/],
    ['an unpaired low surrogate', '\udc00Ada', /unpaired UTF-16 surrogate/],
    ['101 characters', 'x'.repeat(101), /at most 100 characters/],
    ['101 characters outside the Basic Multilingual Plane', '𝒜'.repeat(101), /at most 100 characters/],
  ])('refuses a name with %s, saying why', (_case, name, reason) => {
    expect(nameProblems(name)).toEqual([{ path: 'name', message: expect.stringMatching(reason) }]);
  });

  it.each([
    ['accents and other scripts', 'Zoë Ōkubo-Nguyễn 李小龍'],
    ['a right-to-left script', 'أدا لوفلايس'],
    ['emoji joined with zero-width joiners', 'Ada 👩‍💻'],
    ['100 characters outside the Basic Multilingual Plane (200 UTF-16 units)', '𝒜'.repeat(100)],
    ['a single letter', 'A'],
  ])('accepts a name with %s', (_case, name) => {
    expect(parseNewUser({ name, email: 'ada@example.com' }).name).toBe(name);
  });

  it('accepts a name with tabs or line breaks inside, which the normaliser turns into single spaces', () => {
    const name = parseNewUser({ name: 'Grace\r\nBrewster\tHopper', email: 'grace@example.com' }).name;

    expect(normaliseNewUser({ name, email: 'grace@example.com' }).name).toBe('Grace Brewster Hopper');
  });

  it('never accepts a name with a control, bidi-control or lone surrogate character, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 120 }), (name) => {
        let accepted: string | undefined;
        try {
          accepted = parseNewUser({ name, email: 'ada@example.com' }).name;
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
          return;
        }
        // eslint-disable-next-line no-control-regex -- control characters are what the name rules refuse
        expect(accepted).not.toMatch(/[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u);
        expect(accepted).not.toMatch(/[\ud800-\udfff]/u);
        expect([...accepted].length).toBeLessThanOrEqual(100);
        expect(accepted).toBe(accepted.trim());
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
