package dev.provisioning.localstack;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.provisioning.events.Topics;

class LocalStackTest {

    static LocalStack stack;

    @BeforeAll
    static void start() {
        stack = LocalStack.start(2);
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    @Test
    void kafkaHasTheProvisioningTopicsAndDeliversRecords() throws Exception {
        try (var admin = stack.kafka().admin()) {
            assertThat(admin.listTopics().names().get(Waits.OUTCOME.toMillis(), TimeUnit.MILLISECONDS))
                    .containsAll(Topics.all());
        }
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().bootstrapServers());
        try (var producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(Topics.RESULTS, "job/u1", "hello")).get(Waits.OUTCOME.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().bootstrapServers());
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "local-stack-test");
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (var consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(Topics.RESULTS));
            String value = null;
            long deadline = System.nanoTime() + Waits.OUTCOME.toNanos();
            while (value == null && System.nanoTime() < deadline) {
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
                for (var r : records) {
                    if ("job/u1".equals(r.key())) {
                        value = r.value();
                    }
                }
            }
            assertThat(value).isEqualTo("hello");
        }
    }

    @Test
    void postgresHasOneDatabasePerService() throws Exception {
        for (String db : LocalStack.DATABASES) {
            try (Connection c = DriverManager.getConnection(stack.postgres().jdbcUrl(db), LocalPostgres.USER,
                    LocalPostgres.PASSWORD);
                    ResultSet rs = c.createStatement().executeQuery("SELECT current_database()")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo(db);
            }
        }
    }

    @Test
    void smtpReceivesMail() throws Exception {
        Properties props = new Properties();
        props.put("mail.smtp.host", stack.smtp().host());
        props.put("mail.smtp.port", String.valueOf(stack.smtp().port()));
        MimeMessage message = new MimeMessage(Session.getInstance(props));
        message.setFrom(new InternetAddress("from@provisioning.test"));
        message.setRecipient(Message.RecipientType.TO, new InternetAddress("admin@provisioning.test"));
        message.setSubject("hello");
        message.setText("Failed: Zoë García, Björn Hamilton", "UTF-8");
        message.setHeader("Content-Transfer-Encoding", "quoted-printable");
        Transport.send(message);

        assertThat(stack.smtp().mails()).anySatisfy(m -> {
            assertThat(m.to()).containsExactly("admin@provisioning.test");
            assertThat(m.subject()).isEqualTo("hello");
            // the body as sent over SMTP, in its transfer encoding; the text as a reader sees it, decoded
            assertThat(m.body()).contains("Zo=C3=AB");
            assertThat(m.text()).isEqualTo("Failed: Zoë García, Björn Hamilton");
        });
    }

    /**
     * The services of the run command stop before the infrastructure they use, whoever stops the stack (its
     * {@code close()}, or its shutdown hook, which calls it): before, zonky's own hook stopped PostgreSQL at the same
     * time as the run command's hook stopped the services, and a digest in flight failed its commit (ERROR).
     */
    @Test
    void whatUsesTheStackStopsFirstWhilePostgresKafkaAndSmtpStillAnswer() throws Exception {
        LocalStack own = LocalStack.start(1);
        List<String> stops = new ArrayList<>();
        own.stopFirst(() -> stops.add("registered first; " + answering(own)));
        own.stopFirst(() -> stops.add("registered last; " + answering(own)));

        own.close();

        assertThat(stops).containsExactly("registered last; postgres kafka smtp",
                "registered first; postgres kafka smtp");
        assertThat(answering(own)).isEmpty();
        own.close(); // once only
        assertThat(stops).hasSize(2);
    }

    /** Which of the stack's servers answer: {@code postgres}, {@code kafka}, {@code smtp}, in that order. */
    private static String answering(LocalStack stack) {
        List<String> up = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(stack.postgres().jdbcUrl("notifier"), LocalPostgres.USER,
                LocalPostgres.PASSWORD); ResultSet rs = c.createStatement().executeQuery("SELECT 1")) {
            up.add("postgres");
        } catch (SQLException | RuntimeException e) {
            // down
        }
        Properties admin = new Properties();
        admin.put("bootstrap.servers", stack.kafka().bootstrapServers());
        admin.put("default.api.timeout.ms", "3000");
        admin.put("request.timeout.ms", "2000");
        try (var client = org.apache.kafka.clients.admin.Admin.create(admin)) {
            client.describeCluster().clusterId().get(5, TimeUnit.SECONDS);
            up.add("kafka");
        } catch (Exception e) {
            // down
        }
        try (Socket socket = new Socket(stack.smtp().host(), stack.smtp().port())) {
            up.add("smtp");
        } catch (java.io.IOException e) {
            // down
        }
        return String.join(" ", up);
    }

    @Test
    void serviceConfigurationMapsToEnvironmentVariables() {
        assertThat(stack.serviceEnvironment("notifier"))
                .containsEntry("KAFKA_BOOTSTRAP_SERVERS", stack.kafka().bootstrapServers())
                .containsEntry("QUARKUS_DATASOURCE_REACTIVE_URL", stack.postgres().reactiveUrl("notifier"))
                .containsKey("PROVISIONING_SECRET_KEY");
    }
}
