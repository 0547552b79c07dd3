import { Module } from '@nestjs/common';
import { InventoryHandler } from './inventory.handler.js';
import { StockLedger } from './stock-ledger.js';

@Module({ controllers: [InventoryHandler], providers: [StockLedger], exports: [StockLedger] })
export class InventoryModule {}
