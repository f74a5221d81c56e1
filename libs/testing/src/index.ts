export * from './lib/amqp';
export * from './lib/management';
export * from './lib/net';
export * from './lib/spawn-app';
export * from './lib/vhost';
export * from './lib/wait-for';
export * from './lib/broker';
export * from './lib/python';
