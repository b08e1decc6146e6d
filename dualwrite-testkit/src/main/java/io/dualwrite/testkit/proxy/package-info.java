/**
 * A TCP fault proxy ({@link io.dualwrite.testkit.proxy.FaultProxy}) to put between an application
 * and a real server: latency, a cut connection, a black hole, a slow close.
 */
package io.dualwrite.testkit.proxy;
