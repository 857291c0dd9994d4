import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import type { MonitoredQueue } from './platform-monitoring';

/**
 * A consumed queue as the Operations stack watches it: the queue and the dead-letter queue its
 * redrive policy names. A consumed queue without one would lose messages silently, so this fails
 * the synth instead.
 */
export function monitoredQueue(name: string, queue: IQueue): MonitoredQueue {
  const deadLetterQueue = queue instanceof Queue ? queue.deadLetterQueue?.queue : undefined;
  if (deadLetterQueue === undefined) {
    throw new Error(`The ${name} queue has no dead-letter queue (redrive policy): failed messages would be lost without an alarm`);
  }
  return { name, queue, deadLetterQueue };
}
