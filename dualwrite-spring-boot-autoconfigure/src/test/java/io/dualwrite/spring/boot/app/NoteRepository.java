package io.dualwrite.spring.boot.app;

import io.dualwrite.spring.boot.DualWritten;
import org.springframework.data.mongodb.repository.MongoRepository;

/** Marked, but the tests declare no sinks for notes (or sinks that cannot be used): its writes must not pass. */
@DualWritten
public interface NoteRepository extends MongoRepository<Note, String> {
}
