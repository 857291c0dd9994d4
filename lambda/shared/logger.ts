import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One structured JSON logger per function. The service name and log level come from the
 * environment (POWERTOOLS_SERVICE_NAME, and Lambda's log level controls) set by AppFunction.
 */
export const logger = new Logger();
