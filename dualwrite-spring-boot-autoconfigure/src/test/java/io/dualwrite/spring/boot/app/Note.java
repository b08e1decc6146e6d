package io.dualwrite.spring.boot.app;

import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/** An entity without {@code @Version}: dualwrite cannot take a save's version from it. */
@Document("notes")
public class Note {
    @Id
    private String id;
    private String text;

    public Note() {
    }

    public Note(String id, String text) {
        this.id = id;
        this.text = text;
    }

    public String getId() {
        return id;
    }

    public String getText() {
        return text;
    }
}
