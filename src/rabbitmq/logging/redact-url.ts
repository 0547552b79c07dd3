/** The URLs that carry our passwords: the broker's (AMQP) and the outbox database's (PostgreSQL). */
const SCHEME = String.raw`(?:amqps?|postgres(?:ql)?):\/\/`;

/**
 * Such a URL inside free text: from its scheme up to the next whitespace or the next such URL.
 * Quotes, commas and '@' do not end it, because a password may hold any of them; redactUrl then
 * masks up to the last '@', so trailing text (a closing quote, a comma) is kept.
 */
const URL_IN_TEXT = new RegExp(`${SCHEME}(?:(?!${SCHEME})\\S)*`, 'gi');
const URL_PARTS = new RegExp(`^(${SCHEME})(.*)$`, 'i');

/**
 * Removes the password from an AMQP or PostgreSQL URL so it can be logged or reported. The password runs
 * from the first ':' after the scheme to the LAST '@' (a raw '@' or '/' inside the password
 * must not end the mask early); input that is not a well-formed URL is masked the same way.
 */
export function redactUrl(url: string): string {
  const match = URL_PARTS.exec(url);
  if (!match) {
    return url;
  }
  const [, scheme, rest] = match;
  const at = rest.lastIndexOf('@');
  if (at < 0) {
    return url;
  }
  const userInfo = rest.slice(0, at);
  const colon = userInfo.indexOf(':');
  if (colon < 0) {
    return url;
  }
  return `${scheme}${userInfo.slice(0, colon)}:***${rest.slice(at)}`;
}

/** Masks the password of every AMQP or PostgreSQL URL inside a free text (amqplib and pg errors carry URLs). */
export function redactText(text: string): string {
  return text.replace(URL_IN_TEXT, (url) => redactUrl(url));
}
