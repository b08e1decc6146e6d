/** Implementation of the embedded-event relay; users must not import it. */
package io.dualwrite.mongo.events.internal;
