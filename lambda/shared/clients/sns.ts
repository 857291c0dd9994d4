import { SNSClient } from '@aws-sdk/client-sns';
import { lazy } from '../env';

/** SNS, for the handlers that publish. */
export const snsClient = /* @__PURE__ */ lazy(() => new SNSClient({}));
