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

  it.each([[42], [{ nested: true }], ['x'.repeat(101)]])('answers 400 when the name is %p', async (name) => {
    const response = await handler({ name });

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'BadRequest' });
  });
});
