/**
 * HTTP servers for tests of HTTP sinks: a demanding third-party API
 * ({@link io.dualwrite.testkit.http.FakeThirdPartyApi}) and a server that stalls or trickles its
 * replies ({@link io.dualwrite.testkit.http.MisbehavingHttpServer}).
 */
package io.dualwrite.testkit.http;
