import { BadRequestException, Controller, Get, Param } from '@nestjs/common';
import { RabbitClient } from '../rabbitmq/index.js';
import { INVENTORY_STOCK, type StockLevel } from './inventory-queries.js';

/** SKUs as the order DTO accepts them; anything else is refused before a request is sent. */
const SKU = /^[A-Za-z0-9._-]{1,64}$/;

@Controller('inventory')
export class InventoryController {
  constructor(private readonly client: RabbitClient) {}

  /**
   * Asks the inventory handler over request/reply (wherever it runs). No answer within
   * REQUEST_TIMEOUT_MS is a 504, a failing handler a 502 (RequestErrorFilter).
   */
  @Get(':sku')
  async stock(@Param('sku') sku: string): Promise<StockLevel> {
    if (!SKU.test(sku)) {
      throw new BadRequestException('sku must be 1 to 64 letters, digits, dots, dashes or underscores');
    }
    return this.client.request<StockLevel>(INVENTORY_STOCK, { sku });
  }
}
