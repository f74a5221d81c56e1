export * from './lib/messaging.module';
