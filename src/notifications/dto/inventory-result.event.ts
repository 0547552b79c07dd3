import { IsOptional, IsString, Length } from 'class-validator';

/**
 * What the notifications handler needs of either stock result (`inventory.reserved`,
 * `inventory.rejected`), validated on consume by the transport's EventPayloadPipe: a payload that
 * is not an object, or lacks an orderId, is parked at once as a ValidationError (never retried,
 * never counted by the kill switch). Fields it does not read (items, shortages) are stripped.
 */
export class InventoryResultEvent {
  @IsString()
  @Length(1, 64)
  orderId!: string;

  // Added later: events evolve by adding fields, so older events may lack it.
  @IsOptional()
  @IsString()
  @Length(1, 64)
  customerId?: string;

  /** Only on `inventory.rejected`. */
  @IsOptional()
  @IsString()
  @Length(1, 200)
  reason?: string;
}
