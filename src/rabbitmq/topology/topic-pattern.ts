/**
 * Longest routing key or binding pattern, in UTF-8 bytes: both are AMQP short strings, so the
 * broker never delivers a longer key and refuses a longer binding. A pattern read from a message
 * body (Nest's `{pattern, data}`) is held to the same bound before it is matched.
 */
export const MAX_ROUTING_KEY_BYTES = 255;

/** Whether `key` fits an AMQP short string (MAX_ROUTING_KEY_BYTES). */
export function fitsRoutingKey(key: string): boolean {
  // A UTF-8 character takes at most 3 bytes per UTF-16 unit: short strings skip the byte count.
  return key.length * 3 <= MAX_ROUTING_KEY_BYTES || Buffer.byteLength(key) <= MAX_ROUTING_KEY_BYTES;
}

/**
 * AMQP topic matching: words are separated by '.', '*' matches exactly one word and '#' zero or
 * more. Used to check that a delivered message really belongs to the handler of its queue (a
 * stale binding, or a message published straight to the queue, must not reach the wrong code).
 *
 * Runs the pattern as a set of states over the key's words, once per word: time is (key words ×
 * pattern words) whatever the input, never the backtracking blow-up of trying every split of
 * each '#' (`#.a.#.b` against a 20,001-word key took 1.1 s that way).
 */
export function topicMatches(pattern: string, routingKey: string): boolean {
  // As the broker does, an empty key (or pattern) has zero words, not one empty word.
  const patternWords = words(pattern);
  const size = patternWords.length + 1;
  // reached[i]: the key words read so far are matched by the pattern's first i words.
  let reached = new Uint8Array(size);
  let next = new Uint8Array(size);
  reached[0] = 1;
  skipHashes(patternWords, reached);
  for (const word of words(routingKey)) {
    next.fill(0);
    let alive = false;
    for (let i = 0; i < patternWords.length; i++) {
      if (reached[i] === 0) {
        continue;
      }
      const expected = patternWords[i];
      if (expected === '#') {
        // '#' takes this word and may take more.
        next[i] = 1;
        alive = true;
      } else if (expected === '*' || expected === word) {
        next[i + 1] = 1;
        alive = true;
      }
    }
    if (!alive) {
      return false;
    }
    skipHashes(patternWords, next);
    [reached, next] = [next, reached];
  }
  return reached[patternWords.length] === 1;
}

/** A '#' may match zero words: whoever reaches it also reaches the word after it. */
function skipHashes(patternWords: string[], reached: Uint8Array): void {
  for (let i = 0; i < patternWords.length; i++) {
    if (reached[i] === 1 && patternWords[i] === '#') {
      reached[i + 1] = 1;
    }
  }
}

function words(key: string): string[] {
  return key === '' ? [] : key.split('.');
}
