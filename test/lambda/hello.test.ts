import { handler } from '../../lambda/handlers/hello';
import { apiEvent } from '../support/events';

describe('hello', () => {
  it('greets the world when invoked directly with no name, as the seed does', async () => {
    const response = await handler({});

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ message: 'Hello, World!' });
  });

  it('greets the name given in a direct invocation', async () => {
    const response = await handler({ name: 'Ada' });

    expect(JSON.parse(response.body)).toEqual({ message: 'Hello, Ada!' });
  });

  it('greets the name given in the query string through API Gateway', async () => {
    const response = await handler(apiEvent({ method: 'GET', resource: '/hello', query: { name: 'Grace' } }));

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ message: 'Hello, Grace!' });
  });

  it.each([
    ['an empty name', ''],
    ['a blank name', '   '],
  ])('greets the world for %s in the query string (`?name=`)', async (_case, name) => {
    const response = await handler(apiEvent({ method: 'GET', resource: '/hello', query: { name } }));

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ message: 'Hello, World!' });
  });

  it('counts the name in characters, not UTF-16 units: 100 astral characters are accepted, 101 are not', async () => {
    const accepted = await handler({ name: '𝒜'.repeat(100) });
    const refused = await handler({ name: '𝒜'.repeat(101) });

    expect(accepted.statusCode).toBe(200);
    expect(refused.statusCode).toBe(400);
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'BadRequest', message: 'name must be at most 100 characters' });
  });

  it('trims the name it greets', async () => {
    const response = await handler(apiEvent({ method: 'GET', resource: '/hello', query: { name: '  Grace ' } }));

    expect(JSON.parse(response.body)).toEqual({ message: 'Hello, Grace!' });
  });

  it.each([
    ['a NUL character', 'Ada\u0000', /control characters/],
    ['a right-to-left override', 'Ada\u202e', /bidirectional/],
    ['only zero-width spaces', '\u200b\u200b', /visible character/],
    ['an unpaired surrogate', 'Ada\ud83d', /unpaired UTF-16 surrogate/],
  ])('answers 400 saying why for a name with %s', async (_case, name, reason) => {
    const response = await handler(apiEvent({ method: 'GET', resource: '/hello', query: { name } }));

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'BadRequest', message: expect.stringMatching(reason) });
  });

  it.each([[42], [{ nested: true }], ['x'.repeat(101)]])('answers 400 when the name is %p', async (name) => {
    const response = await handler({ name });

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'BadRequest' });
  });
});
