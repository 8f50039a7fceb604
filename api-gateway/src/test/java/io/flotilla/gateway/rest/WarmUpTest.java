package io.flotilla.gateway.rest;

import io.flotilla.contracts.v1.Kind;
import io.flotilla.gateway.service.ClusterService;
import io.flotilla.gateway.store.InMemoryStore;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The warm-up's requests go through the real endpoints, are answered as a user's would be, and change nothing. */
@QuarkusTest
class WarmUpTest {
    @Inject
    InMemoryStore store;
    @Inject
    ClusterService clusters;
    @TestHTTPResource("/")
    URL base;

    @Test
    void refusedCreateAndReadsLeaveTheStoreAsItWas() {
        store.clear();
        clusters.ensure(); // as in a gateway, whose warm-up runs once the cluster is ready
        AtomicInteger applied = new AtomicInteger();
        store.afterApply(s -> applied.incrementAndGet());
        try {
            String url = base.toString().replaceAll("/$", "");
            List<Integer> statuses = WarmUp.run(url).stream().map(WarmUp.Answer::status).toList();
            // the create is refused by the validation's last check (the Docker API's 400), the service is unknown
            assertEquals(List.of(400, 200, 404, 200, 200, 200), statuses);
            assertEquals(0, applied.get(), "no change reached the store");
            assertEquals(0, store.count(Kind.KIND_SERVICE));
            assertEquals(0, store.count(Kind.KIND_TASK));
        } finally {
            store.afterApply(null);
        }
    }
}
