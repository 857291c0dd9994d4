#!/usr/bin/env node
import { ENVIRONMENT_NAMES, ENVIRONMENTS, type EnvironmentName } from '../lib/config';
import { synthesizeCheckedApp } from '../lib/compliance';
import { addEnvironments } from '../lib/platform';

/**
 * The only place that reads context. `-c environments=dev,prod` synthesizes a subset; by default
 * every environment is synthesized, and `cdk deploy 'dev/*'` picks one. Any unacknowledged
 * compliance finding fails the synth, whichever stacks the command selects.
 */
synthesizeCheckedApp((app) => {
  const requested = app.node.tryGetContext('environments') as string | undefined;
  const names = requested === undefined ? [...ENVIRONMENT_NAMES] : requested.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(ENVIRONMENT_NAMES as readonly string[]).includes(name)) {
      throw new Error(`Unknown environment "${name}"; expected one of ${ENVIRONMENT_NAMES.join(', ')}`);
    }
  }
  addEnvironments(
    app,
    (names as EnvironmentName[]).map((name) => ENVIRONMENTS[name]),
  );
});
