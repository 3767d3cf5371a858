export type {
  RedisStore,
  RedisStoreOptions,
  SharedBudgetOptions,
} from './create-redis-store.js'
export { createRedisStore } from './create-redis-store.js'
export type { RedisOperation, RedisStoreEvent } from './events.js'
