import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsString, Length, ValidateNested } from 'class-validator';
import { OrderItemDto } from './order-item.dto.js';

/** Body of POST /orders. At most 100 items keeps every order event far below the size limit. */
export class CreateOrderDto {
  @IsString()
  @Length(1, 64)
  customerId!: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => OrderItemDto)
  items!: OrderItemDto[];
}
