export * from './destinations.ts';
export * from './formats.ts';
export * from './transports.ts';
export * from './outbox.ts';
