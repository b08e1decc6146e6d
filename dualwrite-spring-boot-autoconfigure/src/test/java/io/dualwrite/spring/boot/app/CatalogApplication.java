package io.dualwrite.spring.boot.app;

import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The application under test: Spring Data MongoDB repositories in this package, sinks from each test's config. */
@SpringBootApplication
public class CatalogApplication {
}
