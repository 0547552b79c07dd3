import { randomUUID } from 'node:crypto';
import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { Publishes } from '../rabbitmq/index.js';
import { RabbitClient } from '../rabbitmq/index.js';
import { RegisterUserDto } from './dto/register-user.dto.js';
import { USER_REGISTERED, UserRegisteredEvent } from './events/user-registered.event.js';

@Controller('users')
@Publishes(USER_REGISTERED, UserRegisteredEvent)
export class UsersController {
  constructor(private readonly events: RabbitClient) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  async register(@Body() dto: RegisterUserDto): Promise<{ userId: string; eventId: string }> {
    const event: UserRegisteredEvent = {
      userId: randomUUID(),
      email: dto.email,
      name: dto.name,
      registeredAt: new Date().toISOString(),
    };
    const receipt = await this.events.publish(USER_REGISTERED, event);
    return { userId: event.userId, eventId: receipt.messageId };
  }
}
