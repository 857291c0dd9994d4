/**
 * The time handlers decide by (what is "yesterday", what is "older than 7 days"). One object, so
 * tests can fix it (`jest.spyOn(clock, 'now')`) without faking Date, which request signing uses.
 */
export const clock = {
  now: (): Date => new Date(),
};
