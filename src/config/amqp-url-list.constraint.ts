import type { ValidationArguments, ValidatorConstraintInterface } from 'class-validator';
import { ValidatorConstraint } from 'class-validator';
import { amqpUrlProblem, NO_SCHEME_PROBLEM, splitAmqpUrlList } from './amqp-url.js';

/**
 * Said when a URL after the first lacks its scheme: the usual cause is a ',' inside a password,
 * which splits one URL in two (`amqp://u:Sec2Pw,Zq7xK@host`).
 */
const COMMA_HINT = "a ',' inside a user name or password must be written %2C";

/**
 * Problems of each URL of a comma-separated AMQP_URL, as "AMQP_URL (URL i of n) <problem>".
 * A rejected URL is named by its position only, never shown, masked or not: it did not parse, so
 * where its password starts and ends is unknown (a part of a split password has no '@' to mask up to).
 */
export function amqpUrlListProblems(value: unknown): string[] {
  if (typeof value !== 'string') {
    return ['AMQP_URL must be one or more comma-separated amqp:// or amqps:// URLs'];
  }
  const urls = splitAmqpUrlList(value);
  return urls.flatMap((url, index) => {
    const problem = amqpUrlProblem(url);
    if (problem === undefined) {
      return [];
    }
    const which = urls.length > 1 ? ` (URL ${index + 1} of ${urls.length})` : '';
    const hint = index > 0 && problem === NO_SCHEME_PROBLEM ? ` (${COMMA_HINT})` : '';
    return [`AMQP_URL${which} ${problem}${hint}`];
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
