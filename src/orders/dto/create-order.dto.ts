import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsObject, IsString, Length, ValidateNested } from 'class-validator';
import { OrderItemDto } from './order-item.dto.js';

/** Body of POST /orders. At most 100 items keeps every order event far below the size limit. */
export class CreateOrderDto {
  @IsString()
  @Length(1, 64)
  customerId!: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  // ValidateNested alone lets nested arrays through (`items: [[[]]]` was accepted with 202).
  @IsObject({ each: true, message: 'each value in items must be an object {sku, quantity}' })
  @ValidateNested({ each: true })
  @Type(() => OrderItemDto)
  items!: OrderItemDto[];
}
