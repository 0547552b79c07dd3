import { IsEmail, IsString, Length } from 'class-validator';

/** Body of POST /users. */
export class RegisterUserDto {
  @IsEmail()
  @Length(3, 254)
  email!: string;

  @IsString()
  @Length(1, 100)
  name!: string;
}
