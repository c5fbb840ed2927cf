export * from './api-keys.store.ts';
export * from './auth.plugin.ts';
export * from './oidc.ts';
export * from './roles.ts';
