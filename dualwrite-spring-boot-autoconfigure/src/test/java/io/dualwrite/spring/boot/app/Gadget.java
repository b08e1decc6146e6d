package io.dualwrite.spring.boot.app;

import org.bson.types.ObjectId;
import org.springframework.data.annotation.Id;
import org.springframework.data.annotation.Version;
import org.springframework.data.mongodb.core.mapping.Document;

/** A Spring Data entity whose id is an {@link ObjectId}, left to be generated. */
@Document("gadgets")
public class Gadget {
    @Id
    private ObjectId id;
    private String name;
    @Version
    private Long version;

    public Gadget() {
    }

    public Gadget(String name) {
        this.name = name;
    }

    public ObjectId getId() {
        return id;
    }

    public void setId(ObjectId id) {
        this.id = id;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public Long getVersion() {
        return version;
    }

    public void setVersion(Long version) {
        this.version = version;
    }
}
