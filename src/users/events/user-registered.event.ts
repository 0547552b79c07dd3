export const USER_REGISTERED = 'user.registered';

export interface UserRegisteredEvent {
  userId: string;
  email: string;
  name: string;
  registeredAt: string;
}
