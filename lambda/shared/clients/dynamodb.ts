import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { lazy } from '../env';
import { SDK_HTTP_TIMEOUTS } from './http-timeouts';

/**
 * The DynamoDB document client, created once per execution environment. Its own module because
 * `@aws-sdk/lib-dynamodb` is not marked side-effect free: any bundle that imports it keeps the
 * whole DynamoDB client (~46 KB minified) whether or not it is used, so only handlers that use a
 * table may import this file. Endpoints follow the SDK's standard variables
 * (AWS_ENDPOINT_URL_DYNAMODB), which is how tests point the real handlers at local engines.
 */
export const documentClient = /* @__PURE__ */ lazy(() =>
  DynamoDBDocumentClient.from(new DynamoDBClient({ requestHandler: SDK_HTTP_TIMEOUTS }), {
    marshallOptions: { removeUndefinedValues: true },
  }),
);
