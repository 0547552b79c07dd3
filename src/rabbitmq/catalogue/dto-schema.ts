import {
  ARRAY_MAX_SIZE,
  ARRAY_MIN_SIZE,
  getMetadataStorage,
  IS_ARRAY,
  IS_BOOLEAN,
  IS_DATE_STRING,
  IS_EMAIL,
  IS_ENUM,
  IS_IN,
  IS_INT,
  IS_ISO8601,
  IS_LENGTH,
  IS_NOT_EMPTY,
  IS_NUMBER,
  IS_OBJECT,
  IS_POSITIVE,
  IS_STRING,
  IS_UUID,
  MATCHES,
  MAX,
  MAX_LENGTH,
  MIN,
  MIN_LENGTH,
  ValidationTypes,
} from 'class-validator';
// class-transformer keeps `@Type(() => Item)` here: the only record of a nested array's element class.
import { defaultMetadataStorage } from 'class-transformer/cjs/storage.js';
import type { DtoClass, JsonSchema, PayloadShape } from './publishes.decorator.js';

/** What each class-validator check (by its exported name) says of a property's JSON Schema; checks not listed add nothing. */
const KEYWORDS: Record<string, (constraints: unknown[]) => JsonSchema> = {
  [IS_STRING]: () => ({ type: 'string' }),
  [IS_INT]: () => ({ type: 'integer' }),
  [IS_NUMBER]: () => ({ type: 'number' }),
  [IS_BOOLEAN]: () => ({ type: 'boolean' }),
  [IS_ARRAY]: () => ({ type: 'array' }),
  [IS_OBJECT]: () => ({ type: 'object' }),
  [IS_EMAIL]: () => ({ type: 'string', format: 'email' }),
  [IS_UUID]: () => ({ type: 'string', format: 'uuid' }),
  [IS_DATE_STRING]: () => ({ type: 'string', format: 'date-time' }),
  [IS_ISO8601]: () => ({ type: 'string', format: 'date-time' }),
  [IS_POSITIVE]: () => ({ exclusiveMinimum: 0 }),
  [IS_NOT_EMPTY]: () => ({ minLength: 1 }),
  [IS_LENGTH]: ([min, max]) => ({ minLength: min, ...(max === undefined ? {} : { maxLength: max }) }),
  [MIN_LENGTH]: ([min]) => ({ minLength: min }),
  [MAX_LENGTH]: ([max]) => ({ maxLength: max }),
  [MIN]: ([min]) => ({ minimum: min }),
  [MAX]: ([max]) => ({ maximum: max }),
  [IS_IN]: ([values]) => ({ enum: values }),
  [IS_ENUM]: ([values]) => ({ enum: Object.values(values as object) }),
  [MATCHES]: ([pattern]) => ({ type: 'string', pattern: pattern instanceof RegExp ? pattern.source : String(pattern) }),
  [ARRAY_MIN_SIZE]: ([min]) => ({ minItems: min }),
  [ARRAY_MAX_SIZE]: ([max]) => ({ maxItems: max }),
};

type ValidationMetadata = ReturnType<ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']>[number];

/** The JSON Schema of a payload: a DTO's, read from its class-validator decorators, or the explicit one given. */
export function payloadSchema(shape: PayloadShape): JsonSchema {
  return typeof shape === 'function' ? dtoSchema(shape) : shape;
}

/** Whether `type` (a parameter's design type) is a DTO class-validator knows. */
export function isDto(type: unknown): type is DtoClass {
  return typeof type === 'function' && validationsOf(type as DtoClass).length > 0;
}

/**
 * A DTO's JSON Schema from class-validator's public metadata storage: every decorated property,
 * required unless `@IsOptional`, nested DTOs (`@ValidateNested` + `@Type`) inlined.
 */
export function dtoSchema(dto: DtoClass): JsonSchema {
  const byProperty = new Map<string, ValidationMetadata[]>();
  for (const metadata of validationsOf(dto)) {
    byProperty.set(metadata.propertyName, [...(byProperty.get(metadata.propertyName) ?? []), metadata]);
  }
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [name, validations] of byProperty) {
    properties[name] = propertySchema(dto, name, validations);
    if (!validations.some((metadata) => metadata.type === ValidationTypes.CONDITIONAL_VALIDATION)) required.push(name);
  }
  return { type: 'object', title: dto.name, properties, ...(required.length > 0 ? { required } : {}) };
}

function propertySchema(dto: DtoClass, name: string, validations: ValidationMetadata[]): JsonSchema {
  let own: JsonSchema = {};
  let items: JsonSchema = {};
  for (const metadata of validations) {
    const keywords =
      metadata.type === ValidationTypes.NESTED_VALIDATION
        ? nestedSchema(dto, name)
        : (KEYWORDS[metadata.name ?? '']?.(metadata.constraints ?? []) ?? {});
    if (metadata.each) items = { ...items, ...keywords };
    else own = { ...own, ...keywords };
  }
  return Object.keys(items).length > 0 ? { type: 'array', ...own, items } : own;
}

function nestedSchema(dto: DtoClass, name: string): JsonSchema {
  const nested = defaultMetadataStorage.findTypeMetadata(dto, name)?.typeFunction() as DtoClass | undefined;
  return nested ? dtoSchema(nested) : { type: 'object' };
}

function validationsOf(dto: DtoClass): ValidationMetadata[] {
  return getMetadataStorage().getTargetValidationMetadatas(dto, '', false, false);
}
