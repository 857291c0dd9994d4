import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { SQSRecord } from 'aws-lambda';
import { HEADER_PROBE_BYTES } from '../lambda/domain/image-dimensions';
import { lambdaContext } from '../test/support/events';
import { gifImage, jpegImage, pngImage } from '../test/support/images';
import { useLocalAws } from '../test/support/local-aws-env';
import { createTableFromTemplate, startLocalDynamo } from '../test/support/local-dynamodb';
import { startLocalS3 } from '../test/support/local-s3';
import { createActivityTable, statefulStackTemplate } from '../test/support/stateful-tables';
import { s3Event, sqsEvent, sqsRecordFromSns } from '../test/support/upload-events';

/**
 * Pushes batches of upload events through the real process-upload handler against local engines
 * (s3rver, dynalite) and compares its rate with a floor measured in the same run: the same number
 * of plain PutItem calls to the same engine, in the same batches of 10, with no handler logic.
 */

const BUCKET = 'bench-uploads';
const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 1000);
const BATCH = 10;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function benchUploads(): Promise<void> {
  // Logging is Lambda's cost, not the handler's: measured silent, like the tests.
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  const [dynamo, s3] = await Promise.all([startLocalDynamo(), startLocalS3([BUCKET])]);
  try {
    useLocalAws({ dynamodb: dynamo.endpoint, s3: s3.endpoint });
    process.env.ACTIVITY_TABLE_NAME = await createActivityTable(dynamo);
    process.env.FILES_TABLE_NAME = await createTableFromTemplate(dynamo.client, statefulStackTemplate(), 'FilesTable');
    const floorTable = await createTableFromTemplate(dynamo.client, statefulStackTemplate(), 'FilesTable');
    // Imported after the environment is set, as Lambda would load it.
    const { handler } = await import('../lambda/handlers/process-upload');
    const context = lambdaContext('process-upload');

    const files = [
      pngImage(800, 600),
      jpegImage(4032, 3024, { exifBytes: 30_000, trailingBytes: 200_000 }),
      gifImage(320, 240),
      Buffer.from('plain text file\n'.repeat(200)),
    ];
    const types = ['image/png', 'image/jpeg', 'image/gif', 'text/plain'];

    /** Uploads a round's objects (not timed) and builds their deliveries. */
    async function prepareRound(round: number): Promise<SQSRecord[]> {
      const records: SQSRecord[] = [];
      for (let start = 0; start < OBJECTS; start += 50) {
        const chunk = await Promise.all(
          Array.from({ length: Math.min(50, OBJECTS - start) }, async (_, offset) => {
            const n = start + offset;
            const body = files[n % files.length];
            const key = `incoming/round-${round}/file ${n}.${['png', 'jpg', 'gif', 'txt'][n % files.length]}`;
            const result = await s3.client.send(
              new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: types[n % files.length] }),
            );
            return sqsRecordFromSns(
              s3Event({
                bucket: BUCKET,
                key,
                size: body.length,
                eTag: (result.ETag ?? '').replace(/"/g, ''),
                versionId: `v-${round}-${n}`,
              }),
            );
          }),
        );
        records.push(...chunk);
      }
      return records;
    }

    async function runHandler(records: SQSRecord[]): Promise<number> {
      const started = process.hrtime.bigint();
      for (let start = 0; start < records.length; start += BATCH) {
        const response = await handler(sqsEvent(records.slice(start, start + BATCH)), context);
        if (response.batchItemFailures.length > 0) throw new Error(`${response.batchItemFailures.length} records failed`);
      }
      return Number(process.hrtime.bigint() - started) / 1e9;
    }

    async function runFloor(round: number): Promise<number> {
      const started = process.hrtime.bigint();
      for (let start = 0; start < OBJECTS; start += BATCH) {
        await Promise.all(
          Array.from({ length: Math.min(BATCH, OBJECTS - start) }, (_, offset) =>
            dynamo.client.send(
              new PutItemCommand({
                TableName: floorTable,
                Item: {
                  objectId: { S: `${BUCKET}/incoming/round-${round}/file ${start + offset}.png` },
                  versionId: { S: `v-${round}-${start + offset}` },
                  bucket: { S: BUCKET },
                  size: { N: '1234' },
                  processedAt: { S: new Date().toISOString() },
                },
              }),
            ),
          ),
        );
      }
      return Number(process.hrtime.bigint() - started) / 1e9;
    }

    /**
     * A second reference, the I/O the issue requires of every record and nothing else: one ranged
     * GetObject (the header) and one PutItem, in the same batches. The gap between it and the
     * handler is the handler's own overhead (parsing, validation, header parsing, counting).
     */
    async function runIoFloor(records: SQSRecord[], round: number): Promise<number> {
      const started = process.hrtime.bigint();
      for (let start = 0; start < records.length; start += BATCH) {
        await Promise.all(
          Array.from({ length: Math.min(BATCH, OBJECTS - start) }, async (_, offset) => {
            const n = start + offset;
            const key = `incoming/round-${round}/file ${n}.${['png', 'jpg', 'gif', 'txt'][n % files.length]}`;
            const object = await s3.client.send(
              new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: `bytes=0-${HEADER_PROBE_BYTES - 1}` }),
            );
            await object.Body?.transformToByteArray();
            await dynamo.client.send(
              new PutItemCommand({
                TableName: floorTable,
                Item: { objectId: { S: `io/${key}` }, versionId: { S: `v-${round}-${n}` }, size: { N: '1234' } },
              }),
            );
          }),
        );
      }
      return Number(process.hrtime.bigint() - started) / 1e9;
    }

    // Warm-up: load the handler's modules and open connections, uncounted.
    await runHandler(await prepareRound(-1).then((records) => records.slice(0, 2 * BATCH)));
    await runFloor(-1);
    await runIoFloor((await prepareRound(-2)).slice(0, 2 * BATCH), -2);

    const handlerRates: number[] = [];
    const floorRates: number[] = [];
    const ioFloorRates: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const records = await prepareRound(round);
      floorRates.push(OBJECTS / (await runFloor(round)));
      ioFloorRates.push(OBJECTS / (await runIoFloor(records, round)));
      handlerRates.push(OBJECTS / (await runHandler(records)));
    }

    const handlerRate = median(handlerRates);
    const floorRate = median(floorRates);
    const ratio = handlerRate / floorRate;
    const ioFloorRate = median(ioFloorRates);
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    console.log(`uploads: ${OBJECTS} object events per round, batches of ${BATCH}, ${ROUNDS} rounds (median)`);
    console.log(
      `  handler (ranged GetObject + conditional PutItem + activity count): ${handlerRate.toFixed(0)} records/s  [${handlerRates.map((rate) => rate.toFixed(0)).join(', ')}]`,
    );
    console.log(
      `  floor   (plain PutItem, same engine, same batches):               ${floorRate.toFixed(0)} records/s  [${floorRates.map((rate) => rate.toFixed(0)).join(', ')}]`,
    );
    console.log(
      `  I/O floor (ranged GetObject + PutItem, no handler logic):          ${ioFloorRate.toFixed(0)} records/s  [${ioFloorRates.map((rate) => rate.toFixed(0)).join(', ')}]`,
    );
    console.log(
      `  ratio: ${(ratio * 100).toFixed(0)}% of the PutItem floor (target 70%); ${((handlerRate / ioFloorRate) * 100).toFixed(0)}% of the I/O floor`,
    );
    console.log(`  peak RSS: ${peakRssMb.toFixed(0)} MB (whole process: engines and handler)`);
  } finally {
    await Promise.all([dynamo.stop(), s3.stop()]);
  }
}
