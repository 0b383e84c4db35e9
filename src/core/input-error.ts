/**
 * A mistake in what the user gave (a path, a file, a flag's value, a market): the command line prints
 * its message as one line, without a stack, and exits non-zero. Internal failures stay plain errors.
 */
export class InputError extends Error {
  override name = 'InputError';
}
