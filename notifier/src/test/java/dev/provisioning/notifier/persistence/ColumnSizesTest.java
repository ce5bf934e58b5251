package dev.provisioning.notifier.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;

import dev.provisioning.notifier.OutageSmtpResource;
import dev.provisioning.notifier.Waits;

/**
 * The column sizes the outboxes cut texts to, and name in a refusal's reason, are the sizes the migrations gave the
 * columns (read from PostgreSQL's {@code information_schema}): a migration that changes one fails here, not in a dead
 * letter that names the wrong size.
 */
@QuarkusTest
@QuarkusTestResource(value = OutageSmtpResource.class, initArgs = @ResourceArg(name = "database", value = "notifier"))
class ColumnSizesTest {

    @Inject
    Pool pool;

    @Test
    void theSizesTheOutboxesCutToAndNameAreTheColumnsSizes() {
        Map<String, Integer> sizes = new HashMap<>();
        pool.query("""
                SELECT table_name || '.' || column_name, character_maximum_length FROM information_schema.columns
                WHERE table_name IN ('failure_outbox', 'state_outbox', 'sent_notification', 'quarantine_notice')
                    AND character_maximum_length IS NOT NULL
                """).execute().await().atMost(Waits.OUTCOME)
                .forEach(row -> sizes.put(row.getString(0), row.getInteger(1)));

        assertThat(sizes).containsEntry("failure_outbox.display_name", Outbox.DISPLAY_NAME_CHARS)
                .containsEntry("failure_outbox.error_code", Outbox.ERROR_CODE_CHARS)
                .containsEntry("state_outbox.job_name", StateOutbox.JOB_NAME_CHARS)
                .containsEntry("state_outbox.reason_code", StateOutbox.REASON_CODE_CHARS)
                .containsEntry("quarantine_notice.reason_code", StateOutbox.REASON_CODE_CHARS)
                .containsEntry("state_outbox.recipient", ColumnText.RECIPIENT_CHARS)
                .containsEntry("state_outbox.message_id", ColumnText.MESSAGE_ID_CHARS)
                .containsEntry("sent_notification.recipient", ColumnText.RECIPIENT_CHARS)
                .containsEntry("sent_notification.message_id", ColumnText.MESSAGE_ID_CHARS);
        for (List<? extends Refusals.IdColumn<?>> ids : List.of(Outbox.ID_COLUMNS, StateOutbox.ID_COLUMNS)) {
            ids.forEach(id -> assertThat(sizes).containsEntry(id.column(), id.chars()));
        }
    }
}
