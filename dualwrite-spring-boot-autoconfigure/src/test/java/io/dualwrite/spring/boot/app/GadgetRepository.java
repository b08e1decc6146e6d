package io.dualwrite.spring.boot.app;

import io.dualwrite.spring.boot.DualWritten;
import org.bson.types.ObjectId;
import org.springframework.data.mongodb.repository.MongoRepository;

/** A repository of entities with ObjectId ids whose writes reach the gadget sinks. */
@DualWritten
public interface GadgetRepository extends MongoRepository<Gadget, ObjectId> {
}
