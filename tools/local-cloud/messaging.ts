import { createHash, randomUUID } from 'node:crypto';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { SNSClient } from '@aws-sdk/client-sns';
import type { InvokeOutcome } from './lambda';

/** The runner's own clients to the SQS/SNS engine, acting as the AWS services that deliver. */
export function serviceClients(endpoint: string, region: string): { sqs: SQSClient; sns: SNSClient } {
  const credentials = { accessKeyId: 'local-cloud-service', secretAccessKey: 'x' };
  return { sqs: new SQSClient({ endpoint, region, credentials }), sns: new SNSClient({ endpoint, region, credentials }) };
}

export interface EventSourceMappingSpec {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly functionName: string;
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
  readonly concurrency: number;
  readonly enabled: boolean;
}

/**
 * An SQS event source mapping as the Lambda service runs it: long-polls the queue, gathers up to
 * BatchSize messages within the batching window, invokes the function with the SQS event, deletes
 * what succeeded (all, or all but the reported `batchItemFailures`), and leaves failures to
 * reappear after the visibility timeout, so the queue's redrive policy moves poison messages to
 * its DLQ after maxReceiveCount receives.
 */
export function startEventSourceMapping(
  spec: EventSourceMappingSpec,
  sqs: SQSClient,
  region: string,
  invoke: (event: unknown) => Promise<InvokeOutcome>,
  log: (line: string) => void,
): { stop(): Promise<void> } {
  let running = spec.enabled;
  const loops: Promise<void>[] = [];
  const abort = new AbortController();
  let lastError: string | undefined;
  const poll = async () => {
    while (running) {
      try {
        const batch: Message[] = [];
        const windowEnds = Date.now() + spec.batchingWindowSeconds * 1000;
        do {
          // An empty batch waits as Lambda's pollers do, in 20 s long polls (the engine answers as
          // soon as a message is sent or becomes visible again); a batch being gathered waits at
          // most 1 s at a time for the rest of its window.
          const waitSeconds = batch.length === 0 ? 20 : Math.min(1, Math.max(0, Math.ceil((windowEnds - Date.now()) / 1000)));
          const received = await sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: spec.queueUrl,
              MaxNumberOfMessages: Math.min(10, spec.batchSize - batch.length),
              WaitTimeSeconds: waitSeconds,
              MessageSystemAttributeNames: ['All'],
              MessageAttributeNames: ['All'],
            }),
            { abortSignal: abort.signal },
          );
          batch.push(...(received.Messages ?? []));
          if ((received.Messages ?? []).length === 0 && batch.length > 0 && Date.now() >= windowEnds) break;
        } while (running && batch.length > 0 && batch.length < spec.batchSize && Date.now() < windowEnds);
        if (batch.length === 0 || !running) continue;
        const event = {
          Records: batch.map((message) => ({
            messageId: message.MessageId,
            receiptHandle: message.ReceiptHandle,
            body: message.Body ?? '',
            attributes: message.Attributes ?? {},
            messageAttributes: Object.fromEntries(
              Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
                name,
                {
                  stringValue: value.StringValue,
                  binaryValue: value.BinaryValue,
                  stringListValues: [],
                  binaryListValues: [],
                  dataType: value.DataType,
                },
              ]),
            ),
            md5OfBody:
              message.MD5OfBody ??
              createHash('md5')
                .update(message.Body ?? '')
                .digest('hex'),
            eventSource: 'aws:sqs',
            eventSourceARN: spec.queueArn,
            awsRegion: region,
          })),
        };
        const outcome = await invoke(event);
        let toDelete: Message[] = [];
        let summary: string;
        if (!outcome.ok) {
          summary = `failed (${outcome.error.errorType}: ${outcome.error.errorMessage}); ${batch.length} message(s) return after the visibility timeout`;
        } else if (
          spec.reportBatchItemFailures &&
          outcome.result !== null &&
          typeof outcome.result === 'object' &&
          Array.isArray((outcome.result as { batchItemFailures?: unknown }).batchItemFailures)
        ) {
          const failures = (outcome.result as { batchItemFailures: Array<{ itemIdentifier?: unknown }> }).batchItemFailures;
          const ids = new Set(failures.map((failure) => failure.itemIdentifier));
          const invalid = failures.some(
            (failure) =>
              typeof failure.itemIdentifier !== 'string' || !batch.some((message) => message.MessageId === failure.itemIdentifier),
          );
          // An unknown or empty identifier fails the whole batch, as Lambda does.
          toDelete = invalid ? [] : batch.filter((message) => !ids.has(message.MessageId));
          summary = invalid ? 'invalid batchItemFailures: whole batch retried' : `${toDelete.length} ok, ${ids.size} reported failed`;
        } else {
          toDelete = batch;
          summary = `${batch.length} ok`;
        }
        if (toDelete.length > 0) {
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: spec.queueUrl,
              Entries: toDelete.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
            }),
          );
        }
        log(`sqs      ${queueName(spec.queueArn)} → ${spec.functionName}: batch of ${batch.length}, ${summary} (${outcome.durationMs} ms)`);
      } catch (error) {
        if (!running) return;
        const message = (error as Error).message;
        if (message !== lastError) log(`sqs      !!! ${queueName(spec.queueArn)} → ${spec.functionName}: poll failed: ${message}`);
        lastError = message;
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    }
  };
  for (let index = 0; index < Math.max(1, spec.concurrency); index += 1) loops.push(poll());
  return {
    stop: async () => {
      running = false;
      abort.abort();
      await Promise.allSettled(loops);
    },
  };
}

function queueName(arn: string): string {
  return arn.split(':').pop() ?? arn;
}

export interface NotificationTarget {
  readonly kind: 'topic' | 'queue' | 'function';
  readonly arn: string;
  readonly id: string;
  readonly events: string[];
  readonly prefix: string;
  readonly suffix: string;
}

/** The destinations of a bucket's NotificationConfiguration, with their filters. */
export function notificationTargets(configuration: Record<string, unknown>): NotificationTarget[] {
  const targets: NotificationTarget[] = [];
  const kinds: Array<[string, NotificationTarget['kind'], string]> = [
    ['TopicConfigurations', 'topic', 'TopicArn'],
    ['QueueConfigurations', 'queue', 'QueueArn'],
    ['LambdaFunctionConfigurations', 'function', 'LambdaFunctionArn'],
  ];
  for (const [list, kind, arnKey] of kinds) {
    for (const entry of (configuration[list] as Array<Record<string, unknown>> | undefined) ?? []) {
      const rules = ((
        entry.Filter as {
          Key?: { FilterRules?: Array<{ Name: string; Value: string }> };
          S3Key?: { Rules?: Array<{ Name: string; Value: string }> };
        }
      )?.Key?.FilterRules ??
        (entry.Filter as { S3Key?: { Rules?: Array<{ Name: string; Value: string }> } })?.S3Key?.Rules ??
        []) as Array<{ Name: string; Value: string }>;
      const arn = String(entry[arnKey] ?? entry.Topic ?? entry.Queue ?? entry.Function);
      targets.push({
        kind,
        arn,
        // S3 names a configuration it was given without an ID.
        id: String(entry.Id ?? createHash('sha256').update(JSON.stringify(entry)).digest('base64url').slice(0, 32)),
        events: (entry.Events as string[] | undefined) ?? (entry.Event === undefined ? [] : [String(entry.Event)]),
        prefix: rules.find((rule) => rule.Name.toLowerCase() === 'prefix')?.Value ?? '',
        suffix: rules.find((rule) => rule.Name.toLowerCase() === 'suffix')?.Value ?? '',
      });
    }
  }
  return targets;
}

/** Whether S3 event `eventName` (e.g. "ObjectCreated:Put") matches a configured event pattern. */
export function eventMatches(eventName: string, patterns: string[]): boolean {
  return patterns.some((pattern) => {
    const bare = pattern.replace(/^s3:/, '');
    return bare.endsWith(':*') ? eventName.startsWith(bare.slice(0, -1)) : bare === eventName;
  });
}

/** S3 encodes object keys in events like a form: `+` for space, percent-encoded UTF-8. */
export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/%20/g, '+')
    .replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, '/');
}

export function s3EventRecord(options: {
  region: string;
  eventName: string;
  bucket: string;
  key: string;
  size: number | undefined;
  eTag: string | undefined;
  versionId: string | undefined;
  configurationId: string;
  principalId: string;
}): Record<string, unknown> {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: options.region,
    eventTime: new Date().toISOString(),
    eventName: options.eventName,
    userIdentity: { principalId: options.principalId },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: { 'x-amz-request-id': randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase(), 'x-amz-id-2': randomUUID() },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: options.configurationId,
      bucket: { name: options.bucket, ownerIdentity: { principalId: 'LOCALOWNER' }, arn: `arn:aws:s3:::${options.bucket}` },
      object: {
        key: encodeS3EventKey(options.key),
        ...(options.size === undefined ? {} : { size: options.size }),
        ...(options.eTag === undefined ? {} : { eTag: options.eTag }),
        ...(options.versionId === undefined ? {} : { versionId: options.versionId }),
        sequencer: Date.now().toString(16).toUpperCase().padStart(18, '0'),
      },
    },
  };
}

/** The s3:TestEvent S3 sends to a destination when a notification configuration is applied. */
export function s3TestEvent(bucket: string): string {
  return JSON.stringify({
    Service: 'Amazon S3',
    Event: 's3:TestEvent',
    Time: new Date().toISOString(),
    Bucket: bucket,
    RequestId: randomUUID(),
    HostId: randomUUID(),
  });
}

export async function deliverToQueue(sqs: SQSClient, queueUrl: string, body: string): Promise<void> {
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
}
