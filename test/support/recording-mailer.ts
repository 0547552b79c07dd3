import { Injectable } from '@nestjs/common';
import { type Mail, Mailer } from '../../src/notifications/mailer.port.js';

/** A Mailer that remembers what it sent, so tests can wait for a handler's side effect. */
@Injectable()
export class RecordingMailer extends Mailer {
  readonly sent: Mail[] = [];

  async send(mail: Mail): Promise<void> {
    this.sent.push(mail);
  }
}
