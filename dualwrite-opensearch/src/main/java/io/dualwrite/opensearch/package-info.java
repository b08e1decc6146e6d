/** The OpenSearch sink. */
package io.dualwrite.opensearch;
