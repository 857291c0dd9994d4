import {
  importRunKeys,
  chunkText,
  parseChunk,
  type ImportExecutionInput,
  type TransformResult,
  type ValidationResult,
} from '../domain/import-job';
import { normaliseNewUser, type NewUser } from '../domain/user';
import { logger } from '../shared/logger';
import { uploadsBucket } from '../shared/bucket-stores';
import { stepFunctionsTask } from '../shared/tasks';

export interface TransformInput extends ImportExecutionInput {
  readonly validation: ValidationResult;
}

/** Transform: normalises the valid records chunk by chunk (the same normalisation as POST /users). */
export const handler = stepFunctionsTask(
  async (input: TransformInput): Promise<TransformResult> => {
    const bucket = uploadsBucket();
    const keys = importRunKeys(input.importId);
    let records = 0;
    for (let index = 0; index < input.validation.chunkCount; index += 1) {
      const text = await bucket.getText(keys.validChunk(index));
      if (text === undefined) throw new Error(`The validated chunk ${keys.validChunk(index)} is missing`);
      const normalised = parseChunk<NewUser>(text).map(({ line, record }) => ({ line, record: normaliseNewUser(record) }));
      await bucket.putText(keys.normalisedChunk(index), chunkText(normalised), 'application/x-ndjson');
      records += normalised.length;
    }
    logger.info('Import transformed', { chunkCount: input.validation.chunkCount, records });
    return { chunkCount: input.validation.chunkCount, records };
  },
  { logKeys: (input) => ({ importId: input.importId }) },
);
