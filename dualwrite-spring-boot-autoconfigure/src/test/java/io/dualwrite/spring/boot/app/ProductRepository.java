package io.dualwrite.spring.boot.app;

import io.dualwrite.spring.boot.DualWritten;
import org.springframework.data.mongodb.repository.MongoRepository;

/** A repository whose writes reach the product sinks. */
@DualWritten
public interface ProductRepository extends MongoRepository<Product, String> {
}
