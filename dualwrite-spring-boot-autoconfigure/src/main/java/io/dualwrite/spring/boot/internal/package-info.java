/** Implementation of the auto-configuration; not for applications to import. */
package io.dualwrite.spring.boot.internal;
