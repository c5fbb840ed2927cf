export * from './event.ts';
export * from './logger.ts';
export * from './time.ts';
export * from './time-zone.ts';
export * from './config.ts';
export * from './metrics.ts';
export * from './identity.ts';
