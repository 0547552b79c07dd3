/** closed: consuming; open: paused after too many failures; trial: consuming, on probation. */
export type KillSwitchState = 'closed' | 'open' | 'trial';

export interface KillSwitchSettings {
  window: number;
  failureRatio: number;
}

/**
 * Failure-ratio circuit breaker for one queue. When at least `failureRatio` of the last
 * `window` outcomes failed, it trips (the consumer pauses): a dead downstream must not burn
 * through every message's retries and drain the queue into the DLQ. After the cool-down the
 * consumer resumes on trial: the first success closes the switch, the first failure re-trips.
 */
export class KillSwitch {
  private readonly outcomes: boolean[] = [];
  private failures = 0;
  private current: KillSwitchState = 'closed';

  constructor(private readonly settings: KillSwitchSettings) {}

  get state(): KillSwitchState {
    return this.current;
  }

  /** Records an outcome; returns 'tripped' when the consumer must pause now. */
  record(failed: boolean): 'tripped' | 'recovered' | undefined {
    if (this.current === 'open') {
      return undefined; // results of deliveries that were in flight when it tripped
    }
    if (this.current === 'trial') {
      return failed ? this.trip() : this.recover();
    }
    this.outcomes.push(failed);
    this.failures += failed ? 1 : 0;
    if (this.outcomes.length > this.settings.window) {
      this.failures -= this.outcomes.shift() ? 1 : 0;
    }
    const full = this.outcomes.length >= this.settings.window;
    return full && this.failures / this.outcomes.length >= this.settings.failureRatio ? this.trip() : undefined;
  }

  /** The cool-down is over: let deliveries through on probation. */
  startTrial(): void {
    if (this.current === 'open') {
      this.current = 'trial';
    }
  }

  private trip(): 'tripped' {
    this.current = 'open';
    return 'tripped';
  }

  private recover(): 'recovered' {
    this.current = 'closed';
    this.outcomes.length = 0;
    this.failures = 0;
    return 'recovered';
  }
}
