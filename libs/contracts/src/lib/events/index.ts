export * from './event-id';
export * from './greeting-greeted.event';
export * from './message-handled.event';
export * from './line-received.event';
export * from './integration-events';
