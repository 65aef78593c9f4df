/**
 * Reading JSON the operator does not control (webhook bodies, audit lines): fields are
 * checked for their type where they are read, so an odd value is skipped, never thrown on.
 */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value when it is a string. */
export const str = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;
