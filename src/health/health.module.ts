import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DatabaseHealthIndicator } from '../database/database.health.js';
import { HealthController } from './health.controller.js';
import { ProcessHealthIndicator } from './process.health.js';

@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [ProcessHealthIndicator, DatabaseHealthIndicator],
})
export class HealthModule {}
