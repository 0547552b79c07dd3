/** A codec or compression asked for (module option or per publish) that is not registered. */
export class UnknownCodecError extends Error {
  override readonly name = 'UnknownCodecError';
}
