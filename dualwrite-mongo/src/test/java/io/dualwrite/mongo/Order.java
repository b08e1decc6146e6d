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
package io.dualwrite.mongo;

import org.bson.codecs.pojo.annotations.BsonId;

import java.util.Objects;

/** An entity as a Spring Data application has it: an id and an optimistic-locking version (null when new). */
public final class Order {
    @BsonId
    private String id;
    private String status;
    private Long version;

    public Order() {
    }

    public Order(String id, String status) {
        this.id = id;
        this.status = status;
    }

    public String getId() {
        return id;
    }

    public void setId(String id) {
        this.id = id;
    }

    public String getStatus() {
        return status;
    }

    public void setStatus(String status) {
        this.status = status;
    }

    public Long getVersion() {
        return version;
    }

    public void setVersion(Long version) {
        this.version = version;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Order && Objects.equals(id, ((Order) o).id) && Objects.equals(status, ((Order) o).status)
                && Objects.equals(version, ((Order) o).version);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, status, version);
    }

    @Override
    public String toString() {
        return "Order{" + id + ", " + status + ", v" + version + "}";
    }
}
