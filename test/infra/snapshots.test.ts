import { ENVIRONMENT_NAMES } from '../../lib/config';
import { synthesizedApp } from '../support/shared-synthesis';
import { stacksOf, templateOf } from '../support/synth';

/**
 * One snapshot per stack per environment. The template serializer (jest.config.js) normalises
 * asset hashes, so a snapshot changes when the infrastructure changes, not when handler code does.
 * Review a snapshot diff like a `cdk diff`; update with `npx jest -u` once it is intended.
 */
const stages = synthesizedApp();
const cases = ENVIRONMENT_NAMES.flatMap((env) => stacksOf(stages[env]).map((stack) => [`${env}/${stack.id}`, stack] as const));

describe('template snapshots', () => {
  it.each(cases)('%s matches its snapshot', (_name, stack) => {
    expect(templateOf(stack).toJSON()).toMatchSnapshot();
  });
});
