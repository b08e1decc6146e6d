/** Implementation details of the search-index sink; not part of the public API, do not import. */
package io.dualwrite.opensearch.internal;
