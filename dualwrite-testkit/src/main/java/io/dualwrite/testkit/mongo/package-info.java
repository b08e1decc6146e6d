/**
 * MongoDB for tests, chosen in one place: an external server at {@code DUALWRITE_MONGO_URI},
 * else a Testcontainers replica set where Docker runs, else an in-JVM MongoDB-wire server.
 * {@link io.dualwrite.testkit.mongo.MongoExtension} offers it to JUnit 5 tests,
 * {@link io.dualwrite.testkit.mongo.TestMongo} and {@link io.dualwrite.testkit.mongo.InJvmMongo}
 * to everything else.
 */
package io.dualwrite.testkit.mongo;
