/** Implementation of the change-stream relay; users must not import it. */
package io.dualwrite.mongo.relay.internal;
