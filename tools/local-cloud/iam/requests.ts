/**
 * Maps an AWS SDK v3 HTTP request to the IAM actions and resources AWS would authorize it against.
 * Pure: no I/O. Operations it does not know map to a refusal with a reason, never to an allow.
 */

/** The services the local gateway fronts, by SigV4 signing name (the credential scope's service). */
export type AwsServiceName = 'dynamodb' | 's3' | 'sns' | 'sqs' | 'states' | 'lambda' | 'ecs' | 'events' | 'scheduler';

export interface AwsHttpRequest {
  /** Signing name from the credential scope (`.../eu-west-1/dynamodb/aws4_request`). */
  service: string;
  method: string;
  /** The raw path, percent-encoded as sent, without the query string. */
  path: string;
  query: URLSearchParams;
  /** Header names in lower case. */
  headers: Record<string, string | string[] | undefined>;
  /** The body for JSON and query-protocol services; S3 only needs it for DeleteObjects. */
  body?: Buffer;
}

export interface IamRequest {
  action: string;
  resource: string;
  /** Service-specific condition keys this request sets (s3:prefix, dynamodb:LeadingKeys...). */
  context?: Record<string, string | string[]>;
}

export type MappedRequest = { ok: true; operation: string; requests: IamRequest[] } | { ok: false; operation?: string; reason: string };

export interface MappingEnvironment {
  account: string;
  region: string;
  /**
   * The partition key attribute name of a table (by table ARN), when known, so the mapping can set
   * `dynamodb:LeadingKeys`. Without it the key is left out of the context.
   */
  hashKeyOf?: (tableArn: string) => string | undefined;
  /**
   * The task role and execution role ARNs of a task definition (by the ARN RunTask names), so
   * RunTask needs `iam:PassRole` on them as on AWS. Without it only role overrides are checked.
   */
  passRolesOf?: (taskDefinitionArn: string) => string[];
}

/** Does the mapping of this request need its body? (Streaming S3 uploads do not.) */
export function mappingNeedsBody(service: string, method: string, query: URLSearchParams): boolean {
  if (service !== 's3') return true;
  return method.toUpperCase() === 'POST' && query.has('delete');
}

export function mapAwsRequest(request: AwsHttpRequest, env: MappingEnvironment): MappedRequest {
  try {
    switch (request.service) {
      case 'dynamodb':
        return mapDynamoDb(request, env);
      case 's3':
        return mapS3(request);
      case 'sqs':
        return mapSqs(request, env);
      case 'sns':
        return mapSns(request, env);
      case 'states':
        return mapStepFunctions(request);
      case 'ecs':
        return mapEcs(request, env);
      case 'lambda':
        return mapLambda(request, env);
      case 'events':
        return mapEvents(request, env);
      case 'scheduler':
        return mapScheduler(request, env);
      default:
        return { ok: false, reason: `service "${request.service}" is not fronted by the local gateway` };
    }
  } catch (error) {
    return { ok: false, reason: `request could not be read for authorization: ${(error as Error).message}` };
  }
}

function unmapped(service: string, operation: string | undefined): MappedRequest {
  return {
    ok: false,
    operation,
    reason: `${service} operation ${operation ?? '(unrecognised request)'} is not mapped to IAM actions locally; denied (the local gateway never allows by default)`,
  };
}

function header(request: AwsHttpRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function jsonBody(request: AwsHttpRequest): Record<string, any> {
  const text = request.body?.toString('utf8') ?? '';
  return text.trim() === '' ? {} : JSON.parse(text);
}

function targetOperation(request: AwsHttpRequest, prefix: string): string | undefined {
  const target = header(request, 'x-amz-target');
  if (!target) return undefined;
  const [service, operation] = target.split('.');
  return service === prefix ? operation : undefined;
}

function formBody(request: AwsHttpRequest): URLSearchParams {
  const params = new URLSearchParams(request.body?.toString('utf8') ?? '');
  // The query protocol may also send its parameters in the URL (GET requests).
  for (const [key, value] of request.query) if (!params.has(key)) params.set(key, value);
  return params;
}

// ---------------------------------------------------------------------------------------------
// DynamoDB (AWS JSON 1.0, X-Amz-Target: DynamoDB_20120810.<Operation>)

const DYNAMODB_TABLE_OPERATIONS = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'DescribeTable',
  'CreateTable',
  'DeleteTable',
  'UpdateTable',
  'DescribeTimeToLive',
  'UpdateTimeToLive',
  'DescribeContinuousBackups',
  'UpdateContinuousBackups',
  'ListTagsOfResource',
  'TagResource',
  'UntagResource',
]);

function mapDynamoDb(request: AwsHttpRequest, env: MappingEnvironment): MappedRequest {
  const operation = targetOperation(request, 'DynamoDB_20120810');
  if (!operation) return unmapped('dynamodb', header(request, 'x-amz-target'));
  const body = jsonBody(request);
  const tableArn = (name: string) => (name.startsWith('arn:') ? name : `arn:aws:dynamodb:${env.region}:${env.account}:table/${name}`);

  if (DYNAMODB_TABLE_OPERATIONS.has(operation)) {
    const name: string | undefined = body.TableName ?? body.ResourceArn;
    if (!name) return { ok: false, operation, reason: `dynamodb ${operation} without TableName` };
    const table = tableArn(name);
    const resource = (operation === 'Query' || operation === 'Scan') && body.IndexName ? `${table}/index/${body.IndexName}` : table;
    return {
      ok: true,
      operation,
      requests: [{ action: `dynamodb:${operation}`, resource, context: dynamoContext(operation, body, table, env) }],
    };
  }
  if (operation === 'BatchGetItem' || operation === 'BatchWriteItem') {
    const tables = Object.keys(body.RequestItems ?? {});
    if (!tables.length) return { ok: false, operation, reason: `dynamodb ${operation} without RequestItems` };
    return { ok: true, operation, requests: tables.map((name) => ({ action: `dynamodb:${operation}`, resource: tableArn(name) })) };
  }
  if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
    // Transactions are authorized item by item against the single-item actions.
    const actionOf: Record<string, string> = {
      Put: 'PutItem',
      Update: 'UpdateItem',
      Delete: 'DeleteItem',
      ConditionCheck: 'ConditionCheckItem',
      Get: 'GetItem',
    };
    const requests: IamRequest[] = [];
    for (const item of body.TransactItems ?? []) {
      for (const [kind, detail] of Object.entries<any>(item)) {
        if (!actionOf[kind] || !detail?.TableName)
          return { ok: false, operation, reason: `dynamodb ${operation} item "${kind}" is not understood` };
        const table = tableArn(detail.TableName);
        requests.push({
          action: `dynamodb:${actionOf[kind]}`,
          resource: table,
          context: dynamoContext(actionOf[kind], detail, table, env),
        });
      }
    }
    if (!requests.length) return { ok: false, operation, reason: `dynamodb ${operation} without TransactItems` };
    return { ok: true, operation, requests };
  }
  if (operation === 'ListTables' || operation === 'DescribeLimits' || operation === 'DescribeEndpoints') {
    return { ok: true, operation, requests: [{ action: `dynamodb:${operation}`, resource: '*' }] };
  }
  return unmapped('dynamodb', operation);
}

function attributeText(value: any): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  if (typeof value.S === 'string') return value.S;
  if (typeof value.N === 'string') return value.N;
  if (typeof value.B === 'string') return value.B;
  return undefined;
}

function dynamoContext(operation: string, body: any, table: string, env: MappingEnvironment): Record<string, string | string[]> {
  const context: Record<string, string | string[]> = {};
  if (typeof body.Select === 'string') context['dynamodb:Select'] = body.Select;
  if (typeof body.ReturnValues === 'string') context['dynamodb:ReturnValues'] = body.ReturnValues;
  if (typeof body.ReturnConsumedCapacity === 'string') context['dynamodb:ReturnConsumedCapacity'] = body.ReturnConsumedCapacity;
  const hashKey = env.hashKeyOf?.(table);
  if (hashKey) {
    let leading: string | undefined;
    if (operation === 'PutItem') leading = attributeText(body.Item?.[hashKey]);
    else if (body.Key) leading = attributeText(body.Key[hashKey]);
    else if (operation === 'Query') leading = queryPartitionValue(body, hashKey);
    if (leading !== undefined) context['dynamodb:LeadingKeys'] = [leading];
  }
  return context;
}

/** The partition key value of a Query's `#pk = :v` (or legacy KeyConditions) clause. */
function queryPartitionValue(body: any, hashKey: string): string | undefined {
  if (body.KeyConditions?.[hashKey]) return attributeText(body.KeyConditions[hashKey].AttributeValueList?.[0]);
  const expression: string | undefined = body.KeyConditionExpression;
  if (!expression) return undefined;
  const names: Record<string, string> = body.ExpressionAttributeNames ?? {};
  for (const clause of expression.split(/\s+and\s+/i)) {
    const match = /^\s*\(?\s*([#\w.]+)\s*=\s*(:\w+)\s*\)?\s*$/.exec(clause);
    if (!match) continue;
    const name = match[1].startsWith('#') ? names[match[1]] : match[1];
    if (name === hashKey) return attributeText(body.ExpressionAttributeValues?.[match[2]]);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// S3 (REST XML, path-style /<bucket>/<key> as the SDK sends to an IP endpoint)

function decodeKey(encoded: string): string {
  return encoded.split('/').map(decodeURIComponent).join('/');
}

function mapS3(request: AwsHttpRequest): MappedRequest {
  const method = request.method.toUpperCase();
  const query = request.query;
  const path = request.path.replace(/^\/+/, '');
  if (path === '') {
    if (method === 'GET') return { ok: true, operation: 'ListBuckets', requests: [{ action: 's3:ListAllMyBuckets', resource: '*' }] };
    return unmapped('s3', `${method} /`);
  }
  const slash = path.indexOf('/');
  const bucket = decodeURIComponent(slash < 0 ? path : path.slice(0, slash));
  const key = slash < 0 ? '' : decodeKey(path.slice(slash + 1));
  const bucketArn = `arn:aws:s3:::${bucket}`;
  if (key === '') return mapS3Bucket(request, method, bucket, bucketArn);

  const objectArn = `${bucketArn}/${key}`;
  const versioned = query.has('versionId');
  const one = (operation: string, action: string, extra: IamRequest[] = []): MappedRequest => ({
    ok: true,
    operation,
    requests: [{ action, resource: objectArn, context: s3HeaderContext(request) }, ...extra],
  });
  const sub = (name: string) => query.has(name);

  switch (method) {
    case 'GET':
      if (sub('uploadId')) return one('ListParts', 's3:ListMultipartUploadParts');
      if (sub('acl')) return one('GetObjectAcl', versioned ? 's3:GetObjectVersionAcl' : 's3:GetObjectAcl');
      if (sub('tagging')) return one('GetObjectTagging', versioned ? 's3:GetObjectVersionTagging' : 's3:GetObjectTagging');
      if (sub('attributes')) {
        return one('GetObjectAttributes', versioned ? 's3:GetObjectVersionAttributes' : 's3:GetObjectAttributes', [
          { action: versioned ? 's3:GetObjectVersion' : 's3:GetObject', resource: objectArn },
        ]);
      }
      if (sub('retention') || sub('legal-hold') || sub('torrent')) return unmapped('s3', `GET object ?${[...query.keys()].join('&')}`);
      return one('GetObject', versioned ? 's3:GetObjectVersion' : 's3:GetObject');
    case 'HEAD':
      return one('HeadObject', versioned ? 's3:GetObjectVersion' : 's3:GetObject');
    case 'PUT': {
      if (sub('tagging')) return one('PutObjectTagging', versioned ? 's3:PutObjectVersionTagging' : 's3:PutObjectTagging');
      if (sub('acl')) return one('PutObjectAcl', versioned ? 's3:PutObjectVersionAcl' : 's3:PutObjectAcl');
      if (sub('retention') || sub('legal-hold')) return unmapped('s3', `PUT object ?${[...query.keys()].join('&')}`);
      const copySource = header(request, 'x-amz-copy-source');
      const source = copySource ? copySourceRequest(copySource) : undefined;
      if (copySource && !source) return { ok: false, operation: 'CopyObject', reason: `s3 copy source "${copySource}" is not understood` };
      const isPart = sub('partNumber') && sub('uploadId');
      const operation = isPart ? (source ? 'UploadPartCopy' : 'UploadPart') : source ? 'CopyObject' : 'PutObject';
      return one(operation, 's3:PutObject', source ? [source] : []);
    }
    case 'POST':
      if (sub('uploads')) return one('CreateMultipartUpload', 's3:PutObject');
      if (sub('uploadId')) return one('CompleteMultipartUpload', 's3:PutObject');
      if (sub('restore')) return one('RestoreObject', 's3:RestoreObject');
      if (sub('select')) return one('SelectObjectContent', 's3:GetObject');
      return unmapped('s3', 'POST object');
    case 'DELETE':
      if (sub('uploadId')) return one('AbortMultipartUpload', 's3:AbortMultipartUpload');
      if (sub('tagging')) return one('DeleteObjectTagging', versioned ? 's3:DeleteObjectVersionTagging' : 's3:DeleteObjectTagging');
      return one('DeleteObject', versioned ? 's3:DeleteObjectVersion' : 's3:DeleteObject');
    default:
      return unmapped('s3', `${method} object`);
  }
}

/** `x-amz-copy-source: bucket/key?versionId=v` (URL-encoded, optionally with a leading slash). */
function copySourceRequest(value: string): IamRequest | undefined {
  const [rawPath, rawQuery] = value.replace(/^\/+/, '').split('?');
  const slash = rawPath.indexOf('/');
  if (slash <= 0 || slash === rawPath.length - 1) return undefined;
  const bucket = decodeURIComponent(rawPath.slice(0, slash));
  const key = decodeKey(rawPath.slice(slash + 1));
  const versioned = new URLSearchParams(rawQuery ?? '').has('versionId');
  return { action: versioned ? 's3:GetObjectVersion' : 's3:GetObject', resource: `arn:aws:s3:::${bucket}/${key}` };
}

function s3HeaderContext(request: AwsHttpRequest): Record<string, string> {
  const context: Record<string, string> = {};
  for (const name of [
    'x-amz-acl',
    'x-amz-server-side-encryption',
    'x-amz-server-side-encryption-aws-kms-key-id',
    'x-amz-storage-class',
    'x-amz-copy-source',
  ]) {
    const value = header(request, name);
    if (value !== undefined) context[`s3:${name}`] = value;
  }
  return context;
}

const S3_BUCKET_SUBRESOURCES: Record<string, Partial<Record<string, [string, string]>>> = {
  policy: {
    GET: ['GetBucketPolicy', 's3:GetBucketPolicy'],
    PUT: ['PutBucketPolicy', 's3:PutBucketPolicy'],
    DELETE: ['DeleteBucketPolicy', 's3:DeleteBucketPolicy'],
  },
  notification: {
    GET: ['GetBucketNotificationConfiguration', 's3:GetBucketNotification'],
    PUT: ['PutBucketNotificationConfiguration', 's3:PutBucketNotification'],
  },
  versioning: { GET: ['GetBucketVersioning', 's3:GetBucketVersioning'], PUT: ['PutBucketVersioning', 's3:PutBucketVersioning'] },
  cors: {
    GET: ['GetBucketCors', 's3:GetBucketCORS'],
    PUT: ['PutBucketCors', 's3:PutBucketCORS'],
    DELETE: ['DeleteBucketCors', 's3:PutBucketCORS'],
  },
  tagging: {
    GET: ['GetBucketTagging', 's3:GetBucketTagging'],
    PUT: ['PutBucketTagging', 's3:PutBucketTagging'],
    DELETE: ['DeleteBucketTagging', 's3:PutBucketTagging'],
  },
  lifecycle: {
    GET: ['GetBucketLifecycleConfiguration', 's3:GetLifecycleConfiguration'],
    PUT: ['PutBucketLifecycleConfiguration', 's3:PutLifecycleConfiguration'],
    DELETE: ['DeleteBucketLifecycle', 's3:PutLifecycleConfiguration'],
  },
  encryption: {
    GET: ['GetBucketEncryption', 's3:GetEncryptionConfiguration'],
    PUT: ['PutBucketEncryption', 's3:PutEncryptionConfiguration'],
  },
  acl: { GET: ['GetBucketAcl', 's3:GetBucketAcl'], PUT: ['PutBucketAcl', 's3:PutBucketAcl'] },
  location: { GET: ['GetBucketLocation', 's3:GetBucketLocation'] },
  versions: { GET: ['ListObjectVersions', 's3:ListBucketVersions'] },
  uploads: { GET: ['ListMultipartUploads', 's3:ListBucketMultipartUploads'] },
};

function mapS3Bucket(request: AwsHttpRequest, method: string, bucket: string, bucketArn: string): MappedRequest {
  const query = request.query;
  for (const [subresource, byMethod] of Object.entries(S3_BUCKET_SUBRESOURCES)) {
    if (!query.has(subresource)) continue;
    const entry = byMethod[method];
    if (!entry) return unmapped('s3', `${method} bucket ?${subresource}`);
    const context = subresource === 'versions' ? listContext(query) : undefined;
    return { ok: true, operation: entry[0], requests: [{ action: entry[1], resource: bucketArn, context }] };
  }
  if (method === 'POST' && query.has('delete')) return mapDeleteObjects(request, bucket);
  const known = [...query.keys()].filter(
    (name) =>
      ![
        'list-type',
        'prefix',
        'delimiter',
        'max-keys',
        'continuation-token',
        'start-after',
        'fetch-owner',
        'encoding-type',
        'marker',
        'x-id',
      ].includes(name) && !name.startsWith('x-amz-'),
  );
  if (known.length) return unmapped('s3', `${method} bucket ?${known.join('&')}`);
  switch (method) {
    case 'GET':
      return {
        ok: true,
        operation: query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects',
        requests: [{ action: 's3:ListBucket', resource: bucketArn, context: listContext(query) }],
      };
    case 'HEAD':
      return { ok: true, operation: 'HeadBucket', requests: [{ action: 's3:ListBucket', resource: bucketArn }] };
    case 'PUT':
      return { ok: true, operation: 'CreateBucket', requests: [{ action: 's3:CreateBucket', resource: bucketArn }] };
    case 'DELETE':
      return { ok: true, operation: 'DeleteBucket', requests: [{ action: 's3:DeleteBucket', resource: bucketArn }] };
    default:
      return unmapped('s3', `${method} bucket`);
  }
}

function listContext(query: URLSearchParams): Record<string, string> {
  const context: Record<string, string> = {};
  for (const name of ['prefix', 'delimiter', 'max-keys']) {
    const value = query.get(name);
    if (value !== null) context[`s3:${name}`] = value;
  }
  return context;
}

/**
 * DeleteObjects is authorized object by object. AWS reports a denied object inside a 200 response;
 * the local gateway refuses the whole request instead, which fails louder.
 */
function mapDeleteObjects(request: AwsHttpRequest, bucket: string): MappedRequest {
  const xml = request.body?.toString('utf8') ?? '';
  const requests: IamRequest[] = [];
  const objectPattern = /<Object>([\s\S]*?)<\/Object>/g;
  for (let match = objectPattern.exec(xml); match; match = objectPattern.exec(xml)) {
    const key = /<Key>([\s\S]*?)<\/Key>/.exec(match[1])?.[1];
    if (key === undefined) continue;
    const versioned = /<VersionId>/.test(match[1]);
    requests.push({
      action: versioned ? 's3:DeleteObjectVersion' : 's3:DeleteObject',
      resource: `arn:aws:s3:::${bucket}/${unescapeXml(key)}`,
    });
  }
  if (!requests.length) return { ok: false, operation: 'DeleteObjects', reason: 's3 DeleteObjects without any <Object><Key>' };
  return { ok: true, operation: 'DeleteObjects', requests };
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#x([0-9a-f]+);/gi, (_, hex) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec) => String.fromCodePoint(Number(dec)))
    .replace(/&amp;/g, '&');
}

// ---------------------------------------------------------------------------------------------
// SQS (AWS JSON 1.0 with X-Amz-Target: AmazonSQS.<Operation>, or the older query protocol)

/** Batch operations are authorized as their single-message action. */
const SQS_ACTIONS: Record<string, string> = {
  SendMessage: 'SendMessage',
  SendMessageBatch: 'SendMessage',
  ReceiveMessage: 'ReceiveMessage',
  DeleteMessage: 'DeleteMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibility: 'ChangeMessageVisibility',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
  GetQueueAttributes: 'GetQueueAttributes',
  SetQueueAttributes: 'SetQueueAttributes',
  PurgeQueue: 'PurgeQueue',
  DeleteQueue: 'DeleteQueue',
  ListDeadLetterSourceQueues: 'ListDeadLetterSourceQueues',
  TagQueue: 'TagQueue',
  UntagQueue: 'UntagQueue',
  ListQueueTags: 'ListQueueTags',
  AddPermission: 'AddPermission',
  RemovePermission: 'RemovePermission',
};

/**
 * The queue ARN of a queue URL. The queue is named by the URL's last path segment; the account and
 * region are the gateway's own, because local engines put their own placeholder account in URLs.
 */
export function queueArnFromUrl(queueUrl: string, env: MappingEnvironment): string | undefined {
  let path: string;
  try {
    path = new URL(queueUrl).pathname;
  } catch {
    path = queueUrl;
  }
  const name = path.split('/').filter(Boolean).pop();
  return name ? `arn:aws:sqs:${env.region}:${env.account}:${name}` : undefined;
}

function mapSqs(request: AwsHttpRequest, env: MappingEnvironment): MappedRequest {
  const jsonOperation = targetOperation(request, 'AmazonSQS');
  let operation: string | undefined;
  let param: (name: string) => string | undefined;
  if (jsonOperation) {
    const body = jsonBody(request);
    operation = jsonOperation;
    param = (name) => (typeof body[name] === 'string' ? body[name] : undefined);
  } else {
    const form = formBody(request);
    operation = form.get('Action') ?? undefined;
    param = (name) => form.get(name) ?? undefined;
  }
  if (!operation) return unmapped('sqs', undefined);
  const queueArn = (): string | undefined => {
    const url = param('QueueUrl') ?? (request.path.split('/').filter(Boolean).length >= 2 ? request.path : undefined);
    return url ? queueArnFromUrl(url, env) : undefined;
  };

  if (SQS_ACTIONS[operation]) {
    const resource = queueArn();
    if (!resource) return { ok: false, operation, reason: `sqs ${operation} without QueueUrl` };
    return { ok: true, operation, requests: [{ action: `sqs:${SQS_ACTIONS[operation]}`, resource }] };
  }
  if (operation === 'GetQueueUrl' || operation === 'CreateQueue') {
    const name = param('QueueName');
    if (!name) return { ok: false, operation, reason: `sqs ${operation} without QueueName` };
    const account = param('QueueOwnerAWSAccountId') ?? env.account;
    return { ok: true, operation, requests: [{ action: `sqs:${operation}`, resource: `arn:aws:sqs:${env.region}:${account}:${name}` }] };
  }
  if (operation === 'ListQueues') return { ok: true, operation, requests: [{ action: 'sqs:ListQueues', resource: '*' }] };
  return unmapped('sqs', operation);
}

// ---------------------------------------------------------------------------------------------
// SNS (query protocol: form body Action=Publish&TopicArn=...)

const SNS_TOPIC_ACTIONS: Record<string, string> = {
  Publish: 'Publish',
  PublishBatch: 'Publish',
  Subscribe: 'Subscribe',
  DeleteTopic: 'DeleteTopic',
  GetTopicAttributes: 'GetTopicAttributes',
  SetTopicAttributes: 'SetTopicAttributes',
  ListSubscriptionsByTopic: 'ListSubscriptionsByTopic',
  ConfirmSubscription: 'ConfirmSubscription',
  AddPermission: 'AddPermission',
  RemovePermission: 'RemovePermission',
  TagResource: 'TagResource',
  UntagResource: 'UntagResource',
  ListTagsForResource: 'ListTagsForResource',
  GetDataProtectionPolicy: 'GetDataProtectionPolicy',
  PutDataProtectionPolicy: 'PutDataProtectionPolicy',
};

function mapSns(request: AwsHttpRequest, env: MappingEnvironment): MappedRequest {
  const form = formBody(request);
  const operation = form.get('Action') ?? undefined;
  if (!operation) return unmapped('sns', undefined);
  if (SNS_TOPIC_ACTIONS[operation]) {
    const topic = form.get('TopicArn') ?? form.get('TargetArn') ?? form.get('ResourceArn');
    if (!topic) {
      if (operation === 'Publish' && form.get('PhoneNumber'))
        return { ok: true, operation, requests: [{ action: 'sns:Publish', resource: '*' }] };
      return { ok: false, operation, reason: `sns ${operation} without TopicArn` };
    }
    return { ok: true, operation, requests: [{ action: `sns:${SNS_TOPIC_ACTIONS[operation]}`, resource: topic }] };
  }
  if (operation === 'Unsubscribe' || operation === 'GetSubscriptionAttributes' || operation === 'SetSubscriptionAttributes') {
    const subscription = form.get('SubscriptionArn');
    if (!subscription) return { ok: false, operation, reason: `sns ${operation} without SubscriptionArn` };
    // A subscription ARN is its topic's ARN plus an id; IAM authorizes against the topic.
    const topic = subscription.split(':').slice(0, 6).join(':');
    return { ok: true, operation, requests: [{ action: `sns:${operation}`, resource: topic }] };
  }
  if (operation === 'CreateTopic') {
    const name = form.get('Name');
    if (!name) return { ok: false, operation, reason: 'sns CreateTopic without Name' };
    return { ok: true, operation, requests: [{ action: 'sns:CreateTopic', resource: `arn:aws:sns:${env.region}:${env.account}:${name}` }] };
  }
  if (operation === 'ListTopics' || operation === 'ListSubscriptions') {
    return { ok: true, operation, requests: [{ action: `sns:${operation}`, resource: '*' }] };
  }
  return unmapped('sns', operation);
}

// ---------------------------------------------------------------------------------------------
// Step Functions (AWS JSON 1.0, X-Amz-Target: AWSStepFunctions.<Operation>)

const SFN_BY_FIELD: Array<[string, string[]]> = [
  [
    'stateMachineArn',
    [
      'StartExecution',
      'StartSyncExecution',
      'DescribeStateMachine',
      'ListExecutions',
      'UpdateStateMachine',
      'DeleteStateMachine',
      'ValidateStateMachineDefinition',
    ],
  ],
  ['executionArn', ['DescribeExecution', 'StopExecution', 'GetExecutionHistory', 'DescribeStateMachineForExecution', 'RedriveExecution']],
  ['activityArn', ['GetActivityTask', 'DescribeActivity', 'DeleteActivity']],
  ['mapRunArn', ['DescribeMapRun', 'UpdateMapRun']],
];

function mapStepFunctions(request: AwsHttpRequest): MappedRequest {
  const operation = targetOperation(request, 'AWSStepFunctions');
  if (!operation) return unmapped('states', header(request, 'x-amz-target'));
  const body = jsonBody(request);
  for (const [field, operations] of SFN_BY_FIELD) {
    if (!operations.includes(operation)) continue;
    const resource = body[field];
    if (typeof resource !== 'string') return { ok: false, operation, reason: `states ${operation} without ${field}` };
    return { ok: true, operation, requests: [{ action: `states:${operation}`, resource }] };
  }
  if (operation === 'ListMapRuns' && typeof body.executionArn === 'string') {
    return { ok: true, operation, requests: [{ action: 'states:ListMapRuns', resource: body.executionArn }] };
  }
  if (
    [
      'SendTaskSuccess',
      'SendTaskFailure',
      'SendTaskHeartbeat',
      'ListStateMachines',
      'ListActivities',
      'CreateStateMachine',
      'CreateActivity',
    ].includes(operation)
  ) {
    // Task tokens do not name their state machine, and the List/Create operations take no resource.
    return { ok: true, operation, requests: [{ action: `states:${operation}`, resource: '*' }] };
  }
  return unmapped('states', operation);
}

// ---------------------------------------------------------------------------------------------
// ECS (AWS JSON 1.1, X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Operation>)

function mapEcs(request: AwsHttpRequest, env: MappingEnvironment): MappedRequest {
  const operation = targetOperation(request, 'AmazonEC2ContainerServiceV20141113');
  if (!operation) return unmapped('ecs', header(request, 'x-amz-target'));
  const body = jsonBody(request);
  const prefix = `arn:aws:ecs:${env.region}:${env.account}`;
  const clusterName = (value: unknown) => (typeof value === 'string' ? value.split('/').pop()! : 'default');
  const clusterArn = (value: unknown) =>
    typeof value === 'string' && value.startsWith('arn:') ? value : `${prefix}:cluster/${clusterName(value)}`;
  const taskArn = (task: string, cluster: unknown) => (task.startsWith('arn:') ? task : `${prefix}:task/${clusterName(cluster)}/${task}`);
  const clusterContext = { 'ecs:cluster': clusterArn(body.cluster) };

  switch (operation) {
    case 'RunTask':
    case 'StartTask': {
      const definition = body.taskDefinition;
      if (typeof definition !== 'string') return { ok: false, operation, reason: `ecs ${operation} without taskDefinition` };
      const resource = definition.startsWith('arn:') ? definition : `${prefix}:task-definition/${definition}`;
      const requests: IamRequest[] = [{ action: `ecs:${operation}`, resource, context: clusterContext }];
      requests.push(...runTaskPassRoles(resource, body.overrides, env));
      return { ok: true, operation, requests };
    }
    case 'DescribeTasks':
    case 'StopTask': {
      const tasks: string[] = operation === 'StopTask' ? (typeof body.task === 'string' ? [body.task] : []) : (body.tasks ?? []);
      if (!tasks.length) return { ok: false, operation, reason: `ecs ${operation} without tasks` };
      return {
        ok: true,
        operation,
        requests: tasks.map((task) => ({ action: `ecs:${operation}`, resource: taskArn(task, body.cluster), context: clusterContext })),
      };
    }
    case 'ListTasks':
      return {
        ok: true,
        operation,
        requests: [
          { action: 'ecs:ListTasks', resource: `${prefix}:container-instance/${clusterName(body.cluster)}/*`, context: clusterContext },
        ],
      };
    case 'DescribeClusters':
      return {
        ok: true,
        operation,
        requests: ((body.clusters as string[] | undefined) ?? ['default']).map((cluster) => ({
          action: 'ecs:DescribeClusters',
          resource: clusterArn(cluster),
        })),
      };
    case 'DescribeTaskDefinition':
    case 'ListTaskDefinitions':
    case 'ListClusters':
      return { ok: true, operation, requests: [{ action: `ecs:${operation}`, resource: '*' }] };
    default:
      return unmapped('ecs', operation);
  }
}

/** RunTask passes the task definition's roles (or their overrides) to ECS: iam:PassRole on each. */
export function runTaskPassRoles(taskDefinitionArn: string, overrides: any, env: MappingEnvironment): IamRequest[] {
  const roles = new Set<string>(env.passRolesOf?.(taskDefinitionArn) ?? []);
  for (const role of [overrides?.taskRoleArn, overrides?.executionRoleArn]) if (typeof role === 'string') roles.add(role);
  return [...roles].map((role) => ({
    action: 'iam:PassRole',
    resource: role,
    context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
  }));
}

// ---------------------------------------------------------------------------------------------
// Lambda (REST JSON: /2015-03-31/functions/<name>/invocations)

function functionArn(nameOrArn: string, qualifier: string | null, env: MappingEnvironment): string {
  let arn: string;
  if (nameOrArn.startsWith('arn:')) arn = nameOrArn;
  else if (/^\d{12}:function:/.test(nameOrArn)) arn = `arn:aws:lambda:${env.region}:${nameOrArn}`;
  else arn = `arn:aws:lambda:${env.region}:${env.account}:function:${nameOrArn}`;
  const alreadyQualified = arn.split(':').length > 7;
  return qualifier && !alreadyQualified ? `${arn}:${qualifier}` : arn;
}

function mapLambda(request: AwsHttpRequest, env: MappingEnvironment): MappedRequest {
  const method = request.method.toUpperCase();
  const match = /^\/(\d{4}-\d{2}-\d{2})\/functions\/([^/]+)(?:\/([^/]+))?\/?$/.exec(request.path);
  if (!match) return unmapped('lambda', `${method} ${request.path}`);
  const name = decodeURIComponent(match[2]);
  const tail = match[3];
  const resource = functionArn(name, request.query.get('Qualifier'), env);
  const route = `${method} ${tail ?? ''}`;
  const operations: Record<string, [string, string]> = {
    'POST invocations': ['Invoke', 'lambda:InvokeFunction'],
    'POST response-streaming-invocations': ['InvokeWithResponseStream', 'lambda:InvokeFunction'],
    'GET ': ['GetFunction', 'lambda:GetFunction'],
    'GET configuration': ['GetFunctionConfiguration', 'lambda:GetFunctionConfiguration'],
    'GET policy': ['GetPolicy', 'lambda:GetPolicy'],
  };
  const entry = operations[route];
  if (!entry) return unmapped('lambda', route.trim());
  return { ok: true, operation: entry[0], requests: [{ action: entry[1], resource }] };
}

// ---------------------------------------------------------------------------------------------
// EventBridge (AWS JSON 1.1, X-Amz-Target: AWSEvents.PutEvents)

function mapEvents(request: AwsHttpRequest, env: MappingEnvironment): MappedRequest {
  const operation = targetOperation(request, 'AWSEvents');
  if (operation !== 'PutEvents') return unmapped('events', operation ?? header(request, 'x-amz-target'));
  const body = jsonBody(request);
  const entries: any[] = body.Entries ?? [];
  if (!entries.length) return { ok: false, operation, reason: 'events PutEvents without Entries' };
  const byBus = new Map<string, { sources: Set<string>; detailTypes: Set<string> }>();
  for (const entry of entries) {
    const bus: string = entry.EventBusName ?? 'default';
    const arn = bus.startsWith('arn:') ? bus : `arn:aws:events:${env.region}:${env.account}:event-bus/${bus}`;
    const seen = byBus.get(arn) ?? { sources: new Set(), detailTypes: new Set() };
    if (entry.Source) seen.sources.add(entry.Source);
    if (entry.DetailType) seen.detailTypes.add(entry.DetailType);
    byBus.set(arn, seen);
  }
  return {
    ok: true,
    operation,
    requests: [...byBus].map(([resource, seen]) => ({
      action: 'events:PutEvents',
      resource,
      context: { 'events:source': [...seen.sources], 'events:detail-type': [...seen.detailTypes] },
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// EventBridge Scheduler (REST JSON: /schedules/<name>?groupName=...)

function mapScheduler(request: AwsHttpRequest, env: MappingEnvironment): MappedRequest {
  const method = request.method.toUpperCase();
  const prefix = `arn:aws:scheduler:${env.region}:${env.account}`;
  const schedule = /^\/schedules\/([^/]+)$/.exec(request.path);
  if (schedule) {
    const name = decodeURIComponent(schedule[1]);
    let group = request.query.get('groupName') ?? 'default';
    let passRole: string | undefined;
    if (method === 'POST' || method === 'PUT') {
      const body = jsonBody(request);
      group = body.GroupName ?? group;
      passRole = body.Target?.RoleArn;
    }
    const operation = (
      { POST: 'CreateSchedule', PUT: 'UpdateSchedule', GET: 'GetSchedule', DELETE: 'DeleteSchedule' } as Record<string, string>
    )[method];
    if (!operation) return unmapped('scheduler', `${method} schedule`);
    const requests: IamRequest[] = [{ action: `scheduler:${operation}`, resource: `${prefix}:schedule/${group}/${name}` }];
    if (passRole)
      requests.push({ action: 'iam:PassRole', resource: passRole, context: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
    return { ok: true, operation, requests };
  }
  if (request.path === '/schedules' && method === 'GET')
    return { ok: true, operation: 'ListSchedules', requests: [{ action: 'scheduler:ListSchedules', resource: '*' }] };
  const group = /^\/schedule-groups\/([^/]+)$/.exec(request.path);
  if (group) {
    const operation = ({ POST: 'CreateScheduleGroup', GET: 'GetScheduleGroup', DELETE: 'DeleteScheduleGroup' } as Record<string, string>)[
      method
    ];
    if (!operation) return unmapped('scheduler', `${method} schedule group`);
    return {
      ok: true,
      operation,
      requests: [{ action: `scheduler:${operation}`, resource: `${prefix}:schedule-group/${decodeURIComponent(group[1])}` }],
    };
  }
  return unmapped('scheduler', `${method} ${request.path}`);
}
