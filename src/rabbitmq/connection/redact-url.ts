/**
 * Removes the password from an AMQP URL so it can be logged or reported.
 * Works on unparsable input too: anything between "://user:" and "@" is masked.
 */
export function redactUrl(url: string): string {
  return url.replace(/^(amqps?:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

/** Masks every AMQP URL password inside a free text (error messages from amqplib carry URLs). */
export function redactText(text: string): string {
  return text.replace(/(amqps?:\/\/[^:@/\s]*):[^@/\s]*@/gi, '$1:***@');
}
