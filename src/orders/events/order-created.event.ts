import { Type } from 'class-transformer';
import { IsArray, IsInt, IsOptional, IsString, Length, Min, ValidateNested } from 'class-validator';

/** Routing key of the event, and its payload: the contract between orders and its consumers. */
export const ORDER_CREATED = 'order.created';

/** One line of an order, as consumers read it. */
export class OrderCreatedItem {
  @IsString()
  @Length(1, 64)
  sku!: string;

  @IsInt()
  @Min(1)
  quantity!: number;
}

/**
 * What consumers need of an order.created event, validated on consume by the transport's
 * EventPayloadPipe. Fields producers add later are stripped, not refused: events evolve by adding
 * fields. A missing or mistyped field here parks the event at once as a ValidationError.
 */
export class OrderCreatedEvent {
  @IsString()
  @Length(1, 64)
  orderId!: string;

  @IsString()
  @Length(1, 64)
  customerId!: string;

  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => OrderCreatedItem)
  items!: OrderCreatedItem[];

  // No consumer needs it: an older producer that does not send it is still welcome.
  @IsOptional()
  @IsString()
  createdAt?: string;
}
