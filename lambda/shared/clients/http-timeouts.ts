/**
 * Connection and request timeouts every SDK client is created with. The SDK's defaults have none:
 * a server that accepts a connection and never answers holds a call until the Lambda function
 * times out, which fails every record of the invocation instead of the one that stalled.
 *
 * - connectionTimeout: a TCP (and TLS) connection to an AWS endpoint takes milliseconds; 2 s
 *   means the endpoint is unreachable.
 * - requestTimeout with throwOnRequestTimeout: from sending the request to the response headers.
 *   Without throwOnRequestTimeout the SDK only logs a warning when it is exceeded.
 * - socketTimeout: the longest pause while a response body streams.
 *
 * The SDK retries a timed-out attempt (3 attempts in all by default), so a call can last up to
 * about three times these; callers that must finish earlier pass an AbortSignal (process-upload's
 * per-record deadline).
 */
export const SDK_HTTP_TIMEOUTS = {
  connectionTimeout: 2_000,
  requestTimeout: 5_000,
  throwOnRequestTimeout: true,
  socketTimeout: 5_000,
} as const;
