package io.dualwrite.examples.spring.catalog;

import io.dualwrite.spring.boot.DualWritten;
import org.springframework.data.mongodb.repository.MongoRepository;

/** The products: every save and delete reaches the cache and the search table. */
@DualWritten
public interface ProductRepository extends MongoRepository<Product, String> {
}
