/**
 * The change-stream relay: tails an entity collection's change stream and brings the writer's
 * sinks to each changed entity's current state, with a resume token checkpointed after every
 * batch together with the changes that wait for another attempt (bounded, with backoff, then
 * dead-lettered), a recorded gap and a scoped resync when the resume point is lost, and replay
 * from a checkpoint or a point in time. See {@link io.dualwrite.mongo.relay.ChangeStreamRelay}.
 */
package io.dualwrite.mongo.relay;
