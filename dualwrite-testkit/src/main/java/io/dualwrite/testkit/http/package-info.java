/**
 * A demanding third-party HTTP API for tests of HTTP sinks: {@link io.dualwrite.testkit.http.FakeThirdPartyApi}.
 */
package io.dualwrite.testkit.http;
