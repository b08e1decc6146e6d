/** The MongoDB primary adapter. */
package io.dualwrite.mongo;
