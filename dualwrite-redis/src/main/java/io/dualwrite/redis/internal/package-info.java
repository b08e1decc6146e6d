/** Implementation details of the Redis sink; users must not import this package. */
package io.dualwrite.redis.internal;
