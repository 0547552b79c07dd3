/**
 * AMQP topic matching: words are separated by '.', '*' matches exactly one word and '#' zero or
 * more. Used to check that a delivered message really belongs to the handler of its queue (a
 * stale binding, or a message published straight to the queue, must not reach the wrong code).
 */
export function topicMatches(pattern: string, routingKey: string): boolean {
  // As the broker does, an empty key (or pattern) has zero words, not one empty word.
  return matchWords(words(pattern), 0, words(routingKey), 0);
}

function words(key: string): string[] {
  return key === '' ? [] : key.split('.');
}

function matchWords(pattern: string[], p: number, key: string[], k: number): boolean {
  if (p === pattern.length) {
    return k === key.length;
  }
  const word = pattern[p];
  if (word === '#') {
    // '#' swallows zero or more words: try every split point.
    for (let skip = k; skip <= key.length; skip++) {
      if (matchWords(pattern, p + 1, key, skip)) {
        return true;
      }
    }
    return false;
  }
  if (k === key.length) {
    return false;
  }
  return (word === '*' || word === key[k]) && matchWords(pattern, p + 1, key, k + 1);
}
