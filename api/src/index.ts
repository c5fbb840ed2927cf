export * from './audit.ts';
export * from './auth/index.ts';
export * from './deps.ts';
export * from './errors.ts';
export * from './server.ts';
