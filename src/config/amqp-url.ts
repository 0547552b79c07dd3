/**
 * Start-up check of one AMQP URL, complete enough that the connection code never meets a URL it
 * cannot use: a bad port or host used to pass the old pattern check and the service then retried
 * "Invalid URL" forever. Messages never show the URL: one that does not parse cannot be masked
 * reliably (a ',' in its password splits the list, leaving parts without '@' or scheme).
 */

const SCHEME = /^amqps?:\/\//;
/** The problem of a URL without its scheme (list parts cut off by a ',' inside a password look like that). */
export const NO_SCHEME_PROBLEM = 'must start with amqp:// or amqps://';

/** AMQP_URL lists the nodes of a cluster, tried in turn: `amqp://a@h1,amqp://a@h2`. */
export function splitAmqpUrlList(value: string): string[] {
  return value.split(',').map((url) => url.trim());
}

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

/** Why `url` cannot be used as a broker URL, or undefined when it can. */
export function amqpUrlProblem(url: string): string | undefined {
  if (url === '') {
    return 'is empty (check for a stray comma)';
  }
  if (!SCHEME.test(url)) {
    return NO_SCHEME_PROBLEM;
  }
  if (/\s/.test(url)) {
    return 'must not contain spaces';
  }
  const authorityProblem = portOrHostProblem(url);
  if (authorityProblem) {
    return authorityProblem;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a valid URL (expected amqp://user:password@host:port/vhost)';
  }
  if (parsed.hostname === '') {
    return 'has no host';
  }
  try {
    decodeURIComponent(parsed.username);
    decodeURIComponent(parsed.password);
  } catch {
    return 'has a user name or password with a bad %-escape (encode reserved characters, e.g. %40 for @)';
  }
  return vhostProblem(parsed.pathname);
}

/** The port (1–65535) and the bracketed IPv6 host, read from the raw text so the message can be precise. */
function portOrHostProblem(url: string): string | undefined {
  const afterScheme = url.slice(url.indexOf('//') + 2);
  const authorityEnd = afterScheme.search(/[/?#]/);
  const authority = authorityEnd < 0 ? afterScheme : afterScheme.slice(0, authorityEnd);
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  let port: string | undefined;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) {
      return "has an IPv6 host without its closing ']'";
    }
    const rest = hostPort.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) {
      return "has text after the IPv6 host's ']' that is not a :port";
    }
    port = rest === '' ? undefined : rest.slice(1);
  } else {
    const colon = hostPort.lastIndexOf(':');
    port = colon < 0 ? undefined : hostPort.slice(colon + 1);
    if ((colon < 0 ? hostPort : hostPort.slice(0, colon)) === '') {
      return 'has no host';
    }
  }
  if (port !== undefined && port !== '' && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    return 'has a port that is not a number from 1 to 65535';
  }
  return undefined;
}

/** The path is the vhost: empty (the broker's default "/") or one segment, '/' inside it written %2F. */
function vhostProblem(pathname: string): string | undefined {
  if (pathname === '' || pathname === '/') {
    return undefined;
  }
  const vhost = pathname.slice(1);
  if (vhost.includes('/')) {
    return 'has a vhost with a raw \'/\' (write it %2F, e.g. amqp://host/%2F for the vhost "/")';
  }
  try {
    decodeURIComponent(vhost);
  } catch {
    return 'has a vhost with a bad %-escape';
  }
  return undefined;
}
