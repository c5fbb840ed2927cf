export * from './kafka.ts';
export * from './security.ts';
