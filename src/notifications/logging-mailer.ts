import { setTimeout as delay } from 'node:timers/promises';
import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { type Mail, Mailer } from './mailer.port.js';

/**
 * Logs instead of sending. `MAILER_DELAY_MS` makes it as slow as a real downstream, or hung
 * (a very large value), which is how tests and benchmarks build a backlog.
 */
@Injectable()
export class LoggingMailer extends Mailer {
  private readonly logger = new Logger(LoggingMailer.name);

  constructor(private readonly config: AppConfig) {
    super();
  }

  async send(mail: Mail): Promise<void> {
    if (this.config.mailerDelayMs > 0) {
      await delay(this.config.mailerDelayMs);
    }
    this.logger.log(`mail to ${mail.to}: ${mail.subject}`);
  }
}
