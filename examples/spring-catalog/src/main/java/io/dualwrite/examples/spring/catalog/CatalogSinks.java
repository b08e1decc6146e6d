/*
 * Copyright The dualwrite authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     https://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */
package io.dualwrite.examples.spring.catalog;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.dualwrite.jdbc.JdbcSink;
import io.dualwrite.jdbc.JdbcTables;
import io.dualwrite.json.Json;
import io.dualwrite.redis.RedisKeyLayout;
import io.dualwrite.redis.RedisSink;
import io.dualwrite.spring.boot.DualWriteSinks;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.sql.SQLException;

/** The catalog's sinks: a Redis cache and a PostgreSQL search table, declared as beans. */
@Configuration(proxyBeanMethods = false)
public class CatalogSinks {

    /**
     * @param uri the Redis server
     * @return the Redis client, shut down with the application
     */
    @Bean(destroyMethod = "shutdown")
    RedisClient redisClient(@Value("${catalog.redis.uri}") String uri) {
        return RedisClient.create(uri);
    }

    /**
     * @param client the Redis client
     * @return a connection, closed with the application
     */
    @Bean(destroyMethod = "close")
    StatefulRedisConnection<String, String> redisConnection(RedisClient client) {
        return client.connect();
    }

    /**
     * @param url the PostgreSQL database
     * @return a pool on it, closed with the application
     */
    @Bean(destroyMethod = "close")
    HikariDataSource searchDataSource(@Value("${catalog.search.jdbc-url}") String url) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(4);
        return new HikariDataSource(config);
    }

    /**
     * @param redis  the Redis connection
     * @param json   the application's own Jackson mapper, as dualwrite's starter hands it over
     * @param prefix the prefix of the cache's keys
     * @return the cache: one hash per product
     */
    @Bean
    RedisSink<Product> productCache(StatefulRedisConnection<String, String> redis, Json json,
                                    @Value("${catalog.cache.prefix}") String prefix) {
        return RedisSink.builder("products", Product.class).connection(redis).json(json)
                .keyLayout(RedisKeyLayout.of(prefix + ":{type}:{id}")).build();
    }

    /**
     * @param dataSource the search database
     * @param json       the application's own Jackson mapper, as dualwrite's starter hands it over
     * @param table      the search table, created when missing
     * @return the search table: one row per product, the product as the application's mapper writes it
     * @throws SQLException when the table cannot be created
     */
    @Bean
    JdbcSink<Product> productSearch(HikariDataSource dataSource, Json json,
                                    @Value("${catalog.search.table}") String table) throws SQLException {
        JdbcTables.createPostgresTable(dataSource, table);
        return JdbcSink.builder("products", Product.class).dataSource(dataSource).table(table).json(json).build();
    }

    /**
     * @param cache  the cache
     * @param search the search table
     * @return the sinks every product write reaches
     */
    @Bean
    DualWriteSinks<Product> productSinks(RedisSink<Product> cache, JdbcSink<Product> search) {
        return DualWriteSinks.builder(Product.class)
                .sink("cache", cache)
                .sink("search", search)
                .build();
    }
}
