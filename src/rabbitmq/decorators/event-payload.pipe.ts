import {
  type ArgumentMetadata,
  BadRequestException,
  HttpException,
  Injectable,
  type PipeTransform,
  ValidationPipe,
  type ValidationPipeOptions,
} from '@nestjs/common';
import { describeFailure } from '../failure/failure-description.js';

/**
 * The validation pipe for event handlers (a ValidationPipe inside): a tolerant reader. Events evolve by adding fields, so a
 * field the handler's DTO does not declare is stripped, never a reason to reject (HTTP input stays
 * strict with its own `forbidNonWhitelisted` pipe). What a handler cannot work with is rejected as
 * a `BadRequestException`, which the transport parks at once as a non-retryable `ValidationError`
 * with the field messages in `x-error-message`:
 * - a payload that is not a JSON object (`"str"`, `42`, `[]`, `null`) for a parameter typed as a class;
 * - a DTO's failed constraints (a missing or mistyped required field);
 * - any error raised while transforming or validating (e.g. a stack overflow on a deep payload):
 *   the same input fails the same way on every attempt.
 *
 * `@HandleEvent` binds it to every handler; bind it yourself to a plain `@EventPattern` handler with
 * `@UsePipes(new EventPayloadPipe())`. Attach the transport with connectRabbitServer (`inheritAppConfig:
 * false`): a global HTTP pipe with `forbidNonWhitelisted` would run first and reject what this one strips.
 */
@Injectable()
export class EventPayloadPipe implements PipeTransform {
  private readonly validation: ValidationPipe;

  /** `options` are ValidationPipe's; `whitelist` is always on and `forbidNonWhitelisted` always off. */
  constructor(options: ValidationPipeOptions = {}) {
    this.validation = new ValidationPipe({ transform: true, ...options, whitelist: true, forbidNonWhitelisted: false });
  }

  /**
   * Synchronous for what it does not validate (a payload typed `unknown` or as an interface, the
   * context): the consume path pays no promise for them.
   */
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (!expectsClassInstance(metadata)) {
      return value;
    }
    if (!isJsonObject(value)) {
      throw new BadRequestException([`payload must be a JSON object (${metadata.metatype!.name}), got ${kindOf(value)}`]);
    }
    return this.validate(value, metadata);
  }

  private async validate(value: Record<string, unknown>, metadata: ArgumentMetadata): Promise<unknown> {
    try {
      return await this.validation.transform(value, metadata);
    } catch (error) {
      if (error instanceof HttpException) {
        throw error;
      }
      const { type, message } = describeFailure(error);
      throw new BadRequestException([`payload could not be validated: ${type}: ${message}`], { cause: error });
    }
  }
}

/** Types ValidationPipe leaves alone: they are no DTO. */
const NOT_DTO_TYPES: readonly unknown[] = [String, Boolean, Number, Array, Object, Buffer, Date];

/** The payload parameter is typed as a class (a DTO), as ValidationPipe decides what to validate. */
function expectsClassInstance({ type, metatype }: ArgumentMetadata): boolean {
  return type !== 'custom' && typeof metatype === 'function' && !NOT_DTO_TYPES.includes(metatype);
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
