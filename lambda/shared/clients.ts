import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { lazy } from './env';

/**
 * AWS SDK clients, created once per execution environment. Endpoints follow the SDK's standard
 * variables (for example AWS_ENDPOINT_URL_DYNAMODB), which is how tests point the real handlers at
 * local engines without any test-only code path.
 */
export const documentClient = lazy(() =>
  DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  }),
);
