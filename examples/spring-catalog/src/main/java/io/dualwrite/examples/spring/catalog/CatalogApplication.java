package io.dualwrite.examples.spring.catalog;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A catalog service: products saved through a Spring Data repository reach a Redis cache and a PostgreSQL search
 * table, with no dualwrite call in the application's code.
 */
@SpringBootApplication
public class CatalogApplication {

    /** @param args Spring Boot's arguments */
    public static void main(String[] args) {
        SpringApplication.run(CatalogApplication.class, args);
    }
}
