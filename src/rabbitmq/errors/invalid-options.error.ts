import { WarrenError } from './warren.error.js';

/** How a problem names an option: by its path (the library), or by whatever the app calls it (an environment variable). */
export type OptionNamer = (path: string) => string;

/** One invalid option: its path (`prefetch`, `retry.delaysMs`, `consume.killSwitch.window`) and what is wrong with it. */
export interface OptionProblem {
  readonly path: string;
  /** The message, naming each option it mentions through `name`. */
  describe(name: OptionNamer): string;
}

/**
 * Thrown at start-up when RabbitMQModule options are invalid. It lists every problem with the
 * option's path, so an app can name its own setting instead (src/config/ names the variable).
 */
export class InvalidRabbitMQOptionsError extends WarrenError {
  override readonly code = 'WARREN_INVALID_OPTIONS';
  override readonly name = 'InvalidRabbitMQOptionsError';
  /** Path of the (first) invalid option. */
  readonly path: string | undefined;

  constructor(
    message: string,
    readonly problems: readonly OptionProblem[] = [],
  ) {
    super(message);
    this.path = problems[0]?.path;
  }

  /** The error listing `problems`, each naming its option by path. */
  static of(problems: readonly OptionProblem[]): InvalidRabbitMQOptionsError {
    return new InvalidRabbitMQOptionsError(problems.map((problem) => problem.describe((path) => path)).join('; '), problems);
  }
}
