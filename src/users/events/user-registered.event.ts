import { IsEmail, IsOptional, IsString, Length } from 'class-validator';

export const USER_REGISTERED = 'user.registered';

/**
 * What consumers need of a user.registered event, validated on consume by the transport's
 * EventPayloadPipe: fields producers add later are stripped, a missing or mistyped one parks it.
 */
export class UserRegisteredEvent {
  @IsString()
  @Length(1, 64)
  userId!: string;

  @IsEmail()
  email!: string;

  @IsString()
  @Length(1, 200)
  name!: string;

  // No consumer needs it: an older producer that does not send it is still welcome.
  @IsOptional()
  @IsString()
  registeredAt?: string;
}
