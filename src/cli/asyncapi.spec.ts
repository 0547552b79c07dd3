import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import { parse } from 'yaml';
import { ASYNCAPI_FILE } from '../catalogue/service-catalogue.js';
import { loadConfig } from '../config/load-config.js';
import { HEADER_ERROR_TYPE } from '../rabbitmq/wire/message-headers.js';
import { TRACEPARENT_HEADER } from '../rabbitmq/wire/trace-headers.js';
import { asyncApiYaml } from './asyncapi-document.js';

describe('docs/asyncapi.yaml', () => {
  it('matches the code (run npm run asyncapi when this fails)', async () => {
    const generated = await asyncApiYaml(loadConfig({}));
    // The message names the fix; the diff below it shows what changed.
    expect({ file: readFileSync(ASYNCAPI_FILE, 'utf8'), hint: 'run npm run asyncapi' }).toEqual({ file: generated, hint: 'run npm run asyncapi' });
  });

  it('is a valid AsyncAPI 3 document per the AsyncAPI parser', async () => {
    const { document, diagnostics } = await new Parser().parse(readFileSync(ASYNCAPI_FILE, 'utf8'));
    expect(
      diagnostics
        .filter((diagnostic) => Number(diagnostic.severity) === Number(DiagnosticSeverity.Error))
        .map(({ message, path }) => `${path.join('/')}: ${message}`),
    ).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
  });

  it('lists every demo event with its schema, the request with its reply, and the headers warren sets', async () => {
    const document = parse(readFileSync(ASYNCAPI_FILE, 'utf8')) as Catalogue;
    const sent = (name: string) => document.operations[`publish.${name}`]?.action;
    expect(['order.created', 'user.registered', 'inventory.reserved', 'inventory.rejected'].map(sent)).toEqual(['send', 'send', 'send', 'send']);
    const received = Object.values(document.operations).filter((operation) => operation.action === 'receive');
    expect(received.map((operation) => operation.summary).join('\n')).toMatch(
      /handles order\.created[\s\S]*handles inventory\.\*[\s\S]*handles user\.registered/,
    );

    const messages = document.components.messages;
    expect(messages.OrderCreatedEvent.payload.required).toEqual(['orderId', 'customerId', 'items']);
    expect(messages.OrderCreatedEvent.payload.properties.items.items.properties.quantity).toEqual({ type: 'integer', minimum: 1 });
    expect(messages.UserRegisteredEvent.payload.properties.email).toEqual({ type: 'string', format: 'email' });
    expect(messages.InventoryReservedEvent.payload.required).toEqual(['orderId', 'items']);
    expect(messages.InventoryRejectedEvent.payload.required).toContain('shortages');

    const stock = document.operations['request.inventory.stock'];
    expect(stock.messages[0].$ref).toMatch(/StockQueryDto$/);
    expect(stock.reply?.messages[0].$ref).toMatch(/StockLevel$/);
    expect(messages.StockLevel.payload.required).toEqual(['sku', 'available']);

    const headers = Object.keys(document.components.messageTraits.warrenHeaders.headers.properties);
    expect(headers).toEqual(expect.arrayContaining([HEADER_ERROR_TYPE, TRACEPARENT_HEADER]));
  });
});

interface Catalogue {
  operations: Record<string, { action: string; summary: string; messages: { $ref: string }[]; reply?: { messages: { $ref: string }[] } }>;
  components: {
    // A JSON Schema, read by path.
    messages: Record<string, { payload: any }>;
    messageTraits: { warrenHeaders: { headers: { properties: Record<string, unknown> } } };
  };
}
