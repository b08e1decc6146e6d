/** The Redis sink. */
package io.dualwrite.redis;
