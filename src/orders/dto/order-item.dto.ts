import { IsInt, IsString, Length, Max, Min } from 'class-validator';

export class OrderItemDto {
  @IsString()
  @Length(1, 64)
  sku!: string;

  @IsInt()
  @Min(1)
  @Max(10_000)
  quantity!: number;
}
