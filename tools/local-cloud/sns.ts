import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { closeServer, listen } from './runtime';

export interface MessageAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
}

export interface SnsSubscription {
  readonly arn: string;
  readonly topicArn: string;
  readonly protocol: string;
  readonly endpoint: string;
  readonly filterPolicy: Record<string, unknown> | undefined;
  readonly filterPolicyScope: 'MessageAttributes' | 'MessageBody';
  readonly rawMessageDelivery: boolean;
  readonly deadLetterTargetArn: string | undefined;
}

export interface SnsMessage {
  readonly messageId: string;
  readonly topicArn: string;
  readonly message: string;
  readonly subject: string | undefined;
  readonly attributes: Record<string, MessageAttribute>;
}

/**
 * SNS Publish and PublishBatch with AWS's own subscription semantics, in front of fauxqs (which
 * serves every other SNS action): fauxqs flattens message bodies without their arrays, so a
 * MessageBody filter on `Records[].s3.object.key` (how S3 events are filtered) never matches there.
 * Deliveries (SQS, Lambda) are the runner's: `deliver` is called once per matching subscription.
 */
export async function startSnsFront(options: {
  host: string;
  fauxqs: string;
  region: string;
  account: string;
  deliver: (subscription: SnsSubscription, message: SnsMessage, body: string) => Promise<void>;
  subscriptions: () => SnsSubscription[];
  topicExists: (arn: string) => boolean;
}): Promise<{
  url: string;
  publish(topicArn: string, message: string, subject?: string, attributes?: Record<string, MessageAttribute>): Promise<string>;
  close(): Promise<void>;
}> {
  const publish = async (
    topicArn: string,
    message: string,
    subject?: string,
    attributes: Record<string, MessageAttribute> = {},
  ): Promise<string> => {
    const messageId = randomUUID();
    const snsMessage: SnsMessage = { messageId, topicArn, message, subject, attributes };
    const deliveries = options
      .subscriptions()
      .filter((subscription) => subscription.topicArn === topicArn)
      .filter(
        (subscription) =>
          subscription.filterPolicy === undefined ||
          filterMatches(
            subscription.filterPolicy,
            subscription.filterPolicyScope === 'MessageBody' ? parseBody(message) : attributesAsObject(attributes),
          ),
      )
      .map((subscription) =>
        options.deliver(
          subscription,
          snsMessage,
          subscription.rawMessageDelivery ? message : envelope(snsMessage, subscription, options.region),
        ),
      );
    await Promise.all(deliveries);
    return messageId;
  };

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const form = new URLSearchParams(body.toString('utf8'));
      const action = form.get('Action');
      if (action !== 'Publish' && action !== 'PublishBatch') {
        // Everything else is fauxqs's.
        const target = new URL(request.url ?? '/', options.fauxqs);
        const forwarded = http.request(target, { method: request.method, headers: { ...request.headers, host: target.host } }, (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        });
        forwarded.on('error', () => {
          response.writeHead(502);
          response.end();
        });
        forwarded.end(body);
        return;
      }
      const requestId = randomUUID();
      const reply = (status: number, xml: string) => {
        response.writeHead(status, { 'content-type': 'text/xml' });
        response.end(xml);
      };
      const fail = (status: number, code: string, message: string) =>
        reply(
          status,
          `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
        );
      const topicArn = form.get('TopicArn') ?? form.get('TargetArn') ?? '';
      if (!options.topicExists(topicArn)) return fail(404, 'NotFound', 'Topic does not exist');
      if (action === 'Publish') {
        const message = form.get('Message');
        if (message === null) return fail(400, 'InvalidParameter', 'Invalid parameter: Message');
        publish(topicArn, message, form.get('Subject') ?? undefined, formAttributes(form, 'MessageAttributes'))
          .then((messageId) =>
            reply(
              200,
              `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`,
            ),
          )
          .catch((error: Error) => fail(500, 'InternalError', error.message));
        return;
      }
      const entries: Array<{ id: string; message: string; subject?: string; attributes: Record<string, MessageAttribute> }> = [];
      for (let index = 1; form.has(`PublishBatchRequestEntries.member.${index}.Id`); index += 1) {
        const prefix = `PublishBatchRequestEntries.member.${index}`;
        entries.push({
          id: form.get(`${prefix}.Id`) as string,
          message: form.get(`${prefix}.Message`) ?? '',
          subject: form.get(`${prefix}.Subject`) ?? undefined,
          attributes: formAttributes(form, `${prefix}.MessageAttributes`),
        });
      }
      Promise.all(
        entries.map(async (entry) => ({
          id: entry.id,
          messageId: await publish(topicArn, entry.message, entry.subject, entry.attributes),
        })),
      )
        .then((results) =>
          reply(
            200,
            `<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult><Successful>${results.map((result) => `<member><Id>${escapeXml(result.id)}</Id><MessageId>${result.messageId}</MessageId></member>`).join('')}</Successful><Failed/></PublishBatchResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishBatchResponse>`,
          ),
        )
        .catch((error: Error) => fail(500, 'InternalError', error.message));
    });
  });
  await listen(server, options.host, 0, 'SNS');
  return { url: `http://${options.host}:${(server.address() as { port: number }).port}`, publish, close: () => closeServer(server) };
}

function formAttributes(form: URLSearchParams, prefix: string): Record<string, MessageAttribute> {
  const attributes: Record<string, MessageAttribute> = {};
  for (let index = 1; form.has(`${prefix}.entry.${index}.Name`); index += 1) {
    const entry = `${prefix}.entry.${index}`;
    attributes[form.get(`${entry}.Name`) as string] = {
      DataType: form.get(`${entry}.Value.DataType`) ?? 'String',
      ...(form.has(`${entry}.Value.StringValue`) ? { StringValue: form.get(`${entry}.Value.StringValue`) as string } : {}),
      ...(form.has(`${entry}.Value.BinaryValue`) ? { BinaryValue: form.get(`${entry}.Value.BinaryValue`) as string } : {}),
    };
  }
  return attributes;
}

/** The JSON SNS delivers to SQS and HTTP subscribers when raw delivery is off. */
export function envelope(message: SnsMessage, subscription: SnsSubscription, region: string): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: message.messageId,
    TopicArn: message.topicArn,
    ...(message.subject === undefined ? {} : { Subject: message.subject }),
    Message: message.message,
    Timestamp: new Date().toISOString(),
    SignatureVersion: '1',
    Signature: 'LOCAL',
    SigningCertURL: `https://sns.${region}.amazonaws.com/SimpleNotificationService-local.pem`,
    UnsubscribeURL: `https://sns.${region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${subscription.arn}`,
    ...(Object.keys(message.attributes).length === 0
      ? {}
      : {
          MessageAttributes: Object.fromEntries(
            Object.entries(message.attributes).map(([name, value]) => [
              name,
              { Type: value.DataType, Value: value.StringValue ?? value.BinaryValue },
            ]),
          ),
        }),
  });
}

function parseBody(message: string): unknown {
  try {
    return JSON.parse(message);
  } catch {
    return undefined;
  }
}

/** Message attributes as the object a MessageAttributes-scope filter policy is matched against. */
function attributesAsObject(attributes: Record<string, MessageAttribute>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, attribute]) => {
      if (attribute.DataType.startsWith('Number')) return [name, Number(attribute.StringValue)];
      if (attribute.DataType === 'String.Array') {
        try {
          return [name, JSON.parse(attribute.StringValue ?? '[]')];
        } catch {
          return [name, attribute.StringValue];
        }
      }
      return [name, attribute.StringValue];
    }),
  );
}

/**
 * SNS filter policy matching: every key of the policy must match (nested keys descend into the
 * message, through arrays: any element may match), `$or` alternatives, and the rules exact value,
 * prefix, suffix, equals-ignore-case, anything-but, numeric, exists, cidr-less.
 */
export function filterMatches(policy: Record<string, unknown>, message: unknown): boolean {
  return Object.entries(policy).every(([key, rule]) => {
    if (key === '$or') return (rule as Array<Record<string, unknown>>).some((alternative) => filterMatches(alternative, message));
    const values = valuesAt(message, key);
    if (Array.isArray(rule)) return rule.some((condition) => conditionMatches(condition, values));
    if (rule !== null && typeof rule === 'object') {
      // A nested key: descend.
      const children = values.filter((value) => value !== null && typeof value === 'object');
      return children.some((child) => filterMatches(rule as Record<string, unknown>, child));
    }
    return conditionMatches(rule, values);
  });
}

function valuesAt(message: unknown, key: string): unknown[] {
  const collect = (value: unknown): unknown[] => (Array.isArray(value) ? value.flatMap(collect) : [value]);
  if (message === null || typeof message !== 'object') return [];
  const items = Array.isArray(message) ? message : [message];
  return items.flatMap((item) =>
    item !== null && typeof item === 'object' && key in (item as object) ? collect((item as Record<string, unknown>)[key]) : [],
  );
}

function conditionMatches(condition: unknown, values: unknown[]): boolean {
  if (condition === null || typeof condition !== 'object') {
    return values.some((value) => value === condition || (typeof condition === 'number' && Number(value) === condition));
  }
  const rule = condition as Record<string, unknown>;
  if ('exists' in rule) return rule.exists === true ? values.length > 0 : values.length === 0;
  if (values.length === 0) return false;
  if ('prefix' in rule) {
    const prefix = rule.prefix as string | { 'equals-ignore-case': string };
    return values.some(
      (value) =>
        typeof value === 'string' &&
        (typeof prefix === 'string'
          ? value.startsWith(prefix)
          : value.toLowerCase().startsWith(prefix['equals-ignore-case'].toLowerCase())),
    );
  }
  if ('suffix' in rule) {
    const suffix = rule.suffix as string | { 'equals-ignore-case': string };
    return values.some(
      (value) =>
        typeof value === 'string' &&
        (typeof suffix === 'string' ? value.endsWith(suffix) : value.toLowerCase().endsWith(suffix['equals-ignore-case'].toLowerCase())),
    );
  }
  if ('equals-ignore-case' in rule)
    return values.some((value) => typeof value === 'string' && value.toLowerCase() === String(rule['equals-ignore-case']).toLowerCase());
  if ('anything-but' in rule) {
    const excluded = rule['anything-but'];
    if (Array.isArray(excluded)) return values.every((value) => !excluded.includes(value));
    if (excluded !== null && typeof excluded === 'object') {
      const nested = excluded as Record<string, unknown>;
      if ('prefix' in nested) return values.every((value) => typeof value !== 'string' || !value.startsWith(String(nested.prefix)));
      if ('suffix' in nested) return values.every((value) => typeof value !== 'string' || !value.endsWith(String(nested.suffix)));
    }
    return values.every((value) => value !== excluded);
  }
  if ('numeric' in rule) {
    const parts = rule.numeric as Array<string | number>;
    return values.some((value) => {
      const number = Number(value);
      if (typeof value === 'boolean' || Number.isNaN(number)) return false;
      for (let index = 0; index < parts.length; index += 2) {
        const operator = parts[index];
        const bound = Number(parts[index + 1]);
        const ok =
          operator === '='
            ? number === bound
            : operator === '<'
              ? number < bound
              : operator === '<='
                ? number <= bound
                : operator === '>'
                  ? number > bound
                  : operator === '>='
                    ? number >= bound
                    : false;
        if (!ok) return false;
      }
      return true;
    });
  }
  return false;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (character) => `&#${character.charCodeAt(0)};`);
}
