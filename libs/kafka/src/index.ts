export * from './kafka';
export * from './producer';
export * from './context';
export * from './server';
export * from './topics-bootstrap';
export { PartitionTracker } from './offset-tracker';
export { PriorityQueues } from './priority-queues';
export * from './error-passthrough.filter';
