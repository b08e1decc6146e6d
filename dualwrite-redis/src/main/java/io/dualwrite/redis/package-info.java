/**
 * The Redis sink: a cache of entity state whose writes are version-guarded on the server by a
 * Lua script, with versioned tombstones for deletes. Entry point: {@link io.dualwrite.redis.RedisSink}.
 */
package io.dualwrite.redis;
