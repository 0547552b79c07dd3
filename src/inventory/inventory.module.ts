import { Module } from '@nestjs/common';
import { InventoryController } from './inventory.controller.js';
import { InventoryHandler } from './inventory.handler.js';
import { StockLedger } from './stock-ledger.js';

@Module({ controllers: [InventoryHandler, InventoryController], providers: [StockLedger], exports: [StockLedger] })
export class InventoryModule {}
