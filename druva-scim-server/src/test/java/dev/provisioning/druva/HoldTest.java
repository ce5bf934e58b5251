package dev.provisioning.druva;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.provisioning.druva.ScimClient.Answer;

/**
 * {@link DruvaScimServer#hold()}: a held call answers only after {@link DruvaScimServer#release()}, while the server
 * keeps answering what is not held. No elapsed time is measured: a call is known to be parked by
 * {@link DruvaScimServer#parked()}, and a control call answered after it shows that it is still unanswered.
 */
class HoldTest {

    private DruvaScimServer server;

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aHeldCreateAnswersOnlyAfterReleaseAndChangesNothingBefore() throws Exception {
        server = DruvaScimServer.start(DruvaScimServer.Options.defaults().token("secret"));
        ScimClient scim = new ScimClient(server.baseUrl(), "secret");
        server.hold();

        CompletableFuture<Answer> create = CompletableFuture
                .supplyAsync(() -> scim.createUser("ada@example.com", "ada@example.com"));
        await("the create to park").atMost(Waits.OUTCOME).until(() -> server.parked() == 1);

        // a later call that is not held (a wrong token is answered before the hold) gets its answer; the create has not
        Answer control = new ScimClient(server.baseUrl(), "wrong").get("/Users");
        assertThat(control.status()).isEqualTo(401);
        assertThat(create).as("the held create, after the control call answered").isNotDone();
        assertThat(server.users()).isEmpty();
        assertThat(server.requests()).extracting(RecordedRequest::method, RecordedRequest::status)
                .containsExactly(tuple("POST", 0),
                        tuple("GET", 401));

        server.release();

        await("the released create").atMost(Waits.OUTCOME).until(create::isDone);
        assertThat(create.join().status()).as(create.join().raw().body()).isEqualTo(201);
        assertThat(server.users()).extracting(DruvaUser::userName).containsExactly("ada@example.com");
        assertThat(server.parked()).isZero();
        assertThat(scim.get("/Users").status()).as("a call after the release is not held").isEqualTo(200);
    }

    @Test
    void anInjected429AnswersAtOnceWhileHeldAndTheNextCallParks() {
        server = DruvaScimServer.start(DruvaScimServer.Options.defaults().token("secret"));
        ScimClient scim = new ScimClient(server.baseUrl(), "secret");
        server.failNext(429, 1);
        server.hold();

        Answer throttled = scim.get("/Users");
        CompletableFuture<Answer> list = CompletableFuture.supplyAsync(() -> scim.get("/Users"));
        await("the second call to park").atMost(Waits.OUTCOME).until(() -> server.parked() == 1);

        assertThat(throttled.status()).isEqualTo(429);
        assertThat(throttled.header("Retry-After")).isEqualTo("1");
        assertThat(list).isNotDone();
        server.release();
        await("the released list").atMost(Waits.OUTCOME).until(list::isDone);
        assertThat(list.join().status()).isEqualTo(200);
    }
}
