import type { ValidationArguments, ValidatorConstraintInterface } from 'class-validator';
import { ValidatorConstraint } from 'class-validator';
import { amqpUrlProblem, maskUrlPassword } from './amqp-url.js';

/** Problems of each URL of a comma-separated AMQP_URL, as "AMQP_URL <masked url> <problem>". */
export function amqpUrlListProblems(value: unknown): string[] {
  if (typeof value !== 'string') {
    return ['AMQP_URL must be one or more comma-separated amqp:// or amqps:// URLs'];
  }
  const urls = value.split(',').map((url) => url.trim());
  return urls.flatMap((url, index) => {
    const problem = amqpUrlProblem(url);
    if (problem === undefined) {
      return [];
    }
    const which = urls.length > 1 ? ` (URL ${index + 1} of ${urls.length})` : '';
    return [`AMQP_URL${which} '${maskUrlPassword(url)}' ${problem}`];
  });
}

/** class-validator constraint for AMQP_URL: every URL of the list must be usable. */
@ValidatorConstraint({ name: 'isAmqpUrlList' })
export class AmqpUrlListConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return amqpUrlListProblems(value).length === 0;
  }

  defaultMessage(args: ValidationArguments): string {
    return amqpUrlListProblems(args.value).join('; ');
  }
}
