import { SFNClient } from '@aws-sdk/client-sfn';
import { lazy } from '../env';

/** Step Functions, for the handler that starts imports. */
export const sfnClient = /* @__PURE__ */ lazy(() => new SFNClient({}));
