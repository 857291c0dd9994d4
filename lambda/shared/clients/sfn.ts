import { SFNClient } from '@aws-sdk/client-sfn';
import { lazy } from '../env';
import { SDK_HTTP_TIMEOUTS } from './http-timeouts';

/** Step Functions, for the handler that starts imports. */
export const sfnClient = /* @__PURE__ */ lazy(() => new SFNClient({ requestHandler: SDK_HTTP_TIMEOUTS }));
