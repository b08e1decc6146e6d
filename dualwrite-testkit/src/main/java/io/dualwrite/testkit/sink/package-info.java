/**
 * Reference sinks for tests: {@link io.dualwrite.testkit.sink.MongoVersionedSink} keeps what it
 * receives in a MongoDB collection, version-guarded, so it outlives the process that wrote it
 * (kill tests) and records every side effect durably.
 */
package io.dualwrite.testkit.sink;
