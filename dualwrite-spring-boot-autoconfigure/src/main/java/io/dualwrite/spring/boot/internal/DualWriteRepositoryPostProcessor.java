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
package io.dualwrite.spring.boot.internal;

import io.dualwrite.DualWriter;
import io.dualwrite.spring.boot.DualWriters;
import io.dualwrite.spring.boot.DualWritten;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.data.mongodb.core.convert.MongoConverter;
import org.springframework.data.mongodb.repository.support.MongoRepositoryFactoryBean;

import java.util.Objects;

/**
 * Adds {@link DualWriteRepositoryInterceptor} to every Spring Data MongoDB repository whose interface carries
 * {@link DualWritten}, before its factory bean creates it. Writers and converter are looked up on first use, so
 * creating a repository starts nothing. Thread-safe.
 */
public final class DualWriteRepositoryPostProcessor implements BeanPostProcessor {
    private final ObjectProvider<DualWriters> writers;
    private final ObjectProvider<MongoConverter> converter;

    /**
     * @param writers   the application's writers
     * @param converter the application's converter
     */
    public DualWriteRepositoryPostProcessor(ObjectProvider<DualWriters> writers, ObjectProvider<MongoConverter> converter) {
        this.writers = Objects.requireNonNull(writers, "writers");
        this.converter = Objects.requireNonNull(converter, "converter");
    }

    @Override
    public Object postProcessBeforeInitialization(Object bean, String beanName) {
        if (bean instanceof MongoRepositoryFactoryBean<?, ?, ?> factoryBean) {
            factoryBean.addRepositoryFactoryCustomizer(factory -> factory.addRepositoryProxyPostProcessor(
                    (proxy, information) -> {
                        if (AnnotatedElementUtils.hasAnnotation(information.getRepositoryInterface(), DualWritten.class)) {
                            Class<?> domainType = information.getDomainType();
                            proxy.addAdvice(new DualWriteRepositoryInterceptor(domainType,
                                    () -> writerOf(domainType), converter::getObject));
                        }
                    }));
        }
        return bean;
    }

    @SuppressWarnings("unchecked")
    private DualWriter<Object> writerOf(Class<?> domainType) {
        return (DualWriter<Object>) writers.getObject().writer(domainType);
    }
}
