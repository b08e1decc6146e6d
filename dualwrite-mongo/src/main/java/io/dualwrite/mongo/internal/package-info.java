/** Implementation of the MongoDB adapter; users must not import it: its classes change without notice. */
package io.dualwrite.mongo.internal;
