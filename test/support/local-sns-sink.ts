import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for SNS that records what handlers publish (no local SNS engine is installed here):
 * it answers the SNS query protocol's Publish like SNS does and keeps each message.
 */
export interface LocalSnsSink {
  readonly endpoint: string;
  readonly published: { topicArn: string; subject?: string; message: string }[];
  stop(): Promise<void>;
}

export async function startLocalSnsSink(): Promise<LocalSnsSink> {
  const published: LocalSnsSink['published'] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const form = new URLSearchParams(body);
      if (form.get('Action') !== 'Publish') {
        response
          .writeHead(400, { 'Content-Type': 'text/xml' })
          .end(
            `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>Only Publish</Message></Error></ErrorResponse>`,
          );
        return;
      }
      published.push({
        topicArn: form.get('TopicArn') ?? '',
        subject: form.get('Subject') ?? undefined,
        message: form.get('Message') ?? '',
      });
      response
        .writeHead(200, { 'Content-Type': 'text/xml' })
        .end(
          `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-${published.length}</MessageId></PublishResult><ResponseMetadata><RequestId>r-${published.length}</RequestId></ResponseMetadata></PublishResponse>`,
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    published,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
