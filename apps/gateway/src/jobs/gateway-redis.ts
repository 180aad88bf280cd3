/** The gateway's Redis connection (hot copies, live updates, cancel markers, the response cache). */
export const GATEWAY_REDIS = Symbol('GATEWAY_REDIS');
