/** Start-up configuration error; its message names each bad variable (and never its value). */
export class InvalidConfigError extends Error {
  override readonly name = 'InvalidConfigError';
}
