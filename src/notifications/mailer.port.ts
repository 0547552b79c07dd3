/** An email to send. */
export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/**
 * The outbound port for email. The default implementation logs; a real one (SMTP, SES) is a
 * provider swap. Abstract class so it can be the DI token.
 */
export abstract class Mailer {
  abstract send(mail: Mail): Promise<void>;
}
