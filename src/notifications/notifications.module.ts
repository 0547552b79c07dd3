import { Module } from '@nestjs/common';
import { LoggingMailer } from './logging-mailer.js';
import { Mailer } from './mailer.port.js';
import { NotificationsHandler } from './notifications.handler.js';

@Module({
  controllers: [NotificationsHandler],
  providers: [{ provide: Mailer, useClass: LoggingMailer }],
  exports: [Mailer],
})
export class NotificationsModule {}
