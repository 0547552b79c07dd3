import { IsString, Length } from 'class-validator';

/** Request of INVENTORY_STOCK, validated by the handler's payload pipe like an event. */
export class StockQueryDto {
  @IsString()
  @Length(1, 64)
  sku!: string;
}
