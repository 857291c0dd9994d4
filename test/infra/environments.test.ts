import { ENVIRONMENT_NAMES, ENVIRONMENTS, retainsData } from '../../lib/config';
import { synthesizedApp } from '../support/shared-synthesis';
import { stacksOf } from '../support/synth';

const stages = synthesizedApp();

describe.each(ENVIRONMENT_NAMES)('%s', (env) => {
  it('protects its stacks from deletion exactly when it retains its data', () => {
    expect(ENVIRONMENTS[env].terminationProtection).toBe(retainsData(ENVIRONMENTS[env]));
    expect(stages[env].stateful.terminationProtection).toBe(retainsData(ENVIRONMENTS[env]));
    for (const stack of stacksOf(stages[env])) expect(stack.terminationProtection).toBe(stages[env].stateful.terminationProtection);
  });
});
