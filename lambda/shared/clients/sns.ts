import { SNSClient } from '@aws-sdk/client-sns';
import { lazy } from '../env';
import { SDK_HTTP_TIMEOUTS } from './http-timeouts';

/** SNS, for the handlers that publish. */
export const snsClient = /* @__PURE__ */ lazy(() => new SNSClient({ requestHandler: SDK_HTTP_TIMEOUTS }));
