import { BadRequestException } from '@nestjs/common';

/**
 * Keys class-transformer silently drops (it never copies `__proto__` or `constructor` onto a
 * DTO, to keep prototypes safe), so the ValidationPipe's unknown-field check never sees them
 * and a body carrying them was accepted (202) where any other unknown field gets a 400.
 */
const PROTOTYPE_KEYS = ['__proto__', 'constructor'] as const;

/** Text that may spell one of the keys: the key itself, or any `\u` escape (`"\u005f_proto__"`). */
const MAY_HOLD_PROTOTYPE_KEY = /__proto__|constructor|\\u/;

/**
 * Refuses a parsed JSON body holding a `__proto__` or `constructor` key at any depth, with the
 * ValidationPipe's own words for an unknown field. `text` is the body's JSON text: most bodies
 * cannot hold such a key and are not walked. The walk is iterative; the structure guard has
 * already bounded the body's depth and width.
 */
export function refusePrototypeKeys(text: string, parsed: unknown): void {
  if (!MAY_HOLD_PROTOTYPE_KEY.test(text)) {
    return;
  }
  const pending: unknown[] = [parsed];
  while (pending.length > 0) {
    const value = pending.pop();
    if (value === null || typeof value !== 'object') {
      continue;
    }
    const key = PROTOTYPE_KEYS.find((name) => Object.hasOwn(value, name));
    if (key !== undefined) {
      throw new BadRequestException([`property ${key} should not exist`]);
    }
    pending.push(...(Object.values(value) as unknown[]));
  }
}
