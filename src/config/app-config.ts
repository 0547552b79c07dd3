import type { QueueType } from '../rabbitmq/index.js';

/** The validated configuration the rest of the app receives (by injection of AppConfig). */
export class AppConfig {
  port!: number;
  amqpUrls!: string[];
  serviceName!: string;
  eventsExchange!: string;
  prefetch!: number;
  queueType!: QueueType;
  maxMessageBytes!: number;
  publishTimeoutMs!: number;
  shutdownGraceMs!: number;
  httpBodyLimitBytes!: number;
  mailerDelayMs!: number;
}
