import type { App } from 'aws-cdk-lib';
import { AppStage } from './app-stage';
import type { EnvironmentConfig } from './config';
import { keepFrameworkLogsFor } from './framework-log-groups';
import { guardPlaceholders } from './placeholder-guard';

/** Adds one stage per environment to the app. bin/app.ts and the tests build the app the same way. */
export function addEnvironments(app: App, configs: readonly EnvironmentConfig[]): AppStage[] {
  return configs.map((config) => {
    const stage = new AppStage(app, config.envName, { config });
    guardPlaceholders(stage, config);
    keepFrameworkLogsFor(stage, config.logRetention);
    return stage;
  });
}
