import { JsonSchemaType, JsonSchemaVersion, type JsonSchema } from 'aws-cdk-lib/aws-apigateway';
import * as z from 'zod/mini';

const TYPES: Record<string, JsonSchemaType> = {
  string: JsonSchemaType.STRING,
  number: JsonSchemaType.NUMBER,
  integer: JsonSchemaType.INTEGER,
  boolean: JsonSchemaType.BOOLEAN,
  object: JsonSchemaType.OBJECT,
  array: JsonSchemaType.ARRAY,
};

interface DraftFourProperty {
  readonly type?: string;
}

/**
 * The API Gateway request model of a handler's zod schema, reduced to its structure: a JSON
 * object, its required properties and their types.
 *
 * Why only the structure: API Gateway cannot say which field failed in a JSON body (its
 * validation message is not JSON-safe and gateway responses cannot escape it). So the gateway
 * refuses what is structurally wrong, cheaply and before Lambda runs, with one precise message,
 * and the handler, with the same zod schema, names each problem with a field's content.
 */
export function structuralModelOf(schema: z.ZodMiniType): JsonSchema {
  const full = z.toJSONSchema(schema, { target: 'draft-4', io: 'input' }) as {
    type?: string;
    required?: string[];
    properties?: Record<string, DraftFourProperty>;
  };
  if (full.type !== 'object' || full.properties === undefined) {
    throw new Error('A request model needs a zod object schema');
  }
  const properties: Record<string, JsonSchema> = {};
  for (const [name, property] of Object.entries(full.properties)) {
    const type = property.type === undefined ? undefined : TYPES[property.type];
    properties[name] = type === undefined ? {} : { type };
  }
  const required = full.required ?? [];
  return {
    schema: JsonSchemaVersion.DRAFT4,
    type: JsonSchemaType.OBJECT,
    // Draft 4 forbids an empty `required` (at least one item), and API Gateway refuses such a model.
    ...(required.length > 0 ? { required } : {}),
    properties,
  };
}
