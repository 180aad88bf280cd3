/** Injection tokens of the auth feature. */
export const AUTH_REDIS = Symbol('AUTH_REDIS');
