/**
 * Implementation detail of dualwrite. Users must not import anything from this package: it
 * changes without notice.
 */
package io.dualwrite.internal;
