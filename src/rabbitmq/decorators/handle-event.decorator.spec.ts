import { describe, expect, it } from '@jest/globals';
import { defaultHandlerName } from './handle-event.decorator.js';

describe('defaultHandlerName', () => {
  it.each([
    ['NotificationsHandler', 'onOrderCreated', 'notifications.order-created'],
    ['InventoryHandler', 'handleOrderCreated', 'inventory.order-created'],
    ['OrderAuditListener', 'record', 'order-audit.record'],
    ['HTTPSyncConsumer', 'onUserRegistered', 'http-sync.user-registered'],
    ['BillingHandlers', 'onInvoicePaid', 'billing.invoice-paid'],
    ['ReportsController', 'handleDailyTick', 'reports.daily-tick'],
    ['Handler', 'onPing', 'handler.ping'],
    ['ShippingService', 'onParcelLost', 'shipping-service.parcel-lost'],
    ['UsersHandler', 'onboard', 'users.onboard'],
    ['UsersHandler', 'handler', 'users.handler'],
    ['UsersHandler', 'on', 'users.on'],
    ['SMSHandler', 'sendSMSCode', 'sms.send-sms-code'],
    ['Order2Handler', 'onV2Created', 'order2.v2-created'],
  ])('%s.%s → %s', (className, methodName, expected) => {
    expect(defaultHandlerName(className, methodName)).toBe(expected);
  });

  it('gives different methods of one class different names', () => {
    expect(defaultHandlerName('NotificationsHandler', 'onOrderCreated')).not.toBe(defaultHandlerName('NotificationsHandler', 'onOrderShipped'));
  });

  it('only strips a role suffix at the end of the class name', () => {
    expect(defaultHandlerName('HandlerRegistryWatcher', 'onTick')).toBe('handler-registry-watcher.tick');
  });
});
