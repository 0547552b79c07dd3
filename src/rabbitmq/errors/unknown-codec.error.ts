import { WarrenError } from './warren.error.js';
/** A codec or compression asked for (module option or per publish) that is not registered. */
export class UnknownCodecError extends WarrenError {
  override readonly code = 'WARREN_UNKNOWN_CODEC';
  override readonly name = 'UnknownCodecError';
}
