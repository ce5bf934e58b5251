package dev.provisioning.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class ServiceLogsTest {

    private static final String BLOCKED = "04:48:03.947 WARN  [io.ve.co.im.BlockedThreadChecker] Thread "
            + "Thread[vert.x-eventloop-thread-0,5,main] has been blocked for 6195 ms, time limit is 5000 ms: "
            + "io.vertx.core.VertxException: Thread blocked";
    private static final String STARTED = "04:48:04.171 INFO  [io.quarkus] notifier 0.1.0-SNAPSHOT on JVM (powered by "
            + "Quarkus 3.33.2) started in 39.878s. Listening on: http://127.0.0.1:27208.";
    private static final String STOPPED = "04:47:20.808 INFO  [io.quarkus] notifier stopped in 4.160s";

    @Test
    void aHeldEventLoopWhileAServiceStartsIsTheMachineNotAFault() {
        List<String> log = List.of("04:47:19.462 INFO  [io.sm.re.me.kafka] SRMSG18224: revoked", STOPPED,
                "04:47:43.553 INFO  [or.fl.co.FlywayExecutor] Database: jdbc:postgresql://127.0.0.1:27203/notifier",
                BLOCKED, "\tat java.base@17.0.15/java.lang.ClassLoader.defineClass1(Native Method)", STARTED);

        assertThat(ServiceLogs.faults(log)).isEmpty();
    }

    @Test
    void aHoldThatBeganAsTheServiceReportedItsStartIsStartUpWork() {
        // CI, 2026-12-05: started at 06:04:37.083, held 5,707 ms from 06:04:37.081
        String started = STARTED.replace("04:48:04.171", "06:04:37.083");
        String held = BLOCKED.replace("04:48:03.947", "06:04:42.788").replace("6195 ms", "5707 ms");
        String tenSecondsLater = BLOCKED.replace("04:48:03.947", "06:04:52.083").replace("6195 ms", "5000 ms");

        assertThat(ServiceLogs.faults(List.of(STOPPED, started, held, tenSecondsLater))).isEmpty();
    }

    @Test
    void aHeldEventLoopOnceAServiceIsUpIsAFault() {
        String started = STARTED.replace("04:48:04.171", "06:04:37.083");
        String later = BLOCKED.replace("04:48:03.947", "06:04:52.084").replace("6195 ms", "5000 ms");
        String muchLater = BLOCKED.replace("04:48:03.947", "06:09:00.000");

        assertThat(ServiceLogs.faults(List.of(STOPPED, BLOCKED, started, later, muchLater)))
                .containsExactly(later, muchLater);
    }

    @Test
    void anyOtherWarningOrErrorIsAFaultWhenItIsLogged() {
        String warn = "04:47:44.000 WARN  [io.sm.re.me.kafka] SRMSG18245: unacked records";
        String error = "04:48:05.000 ERROR [de.pr.no.DigestSender] digest failed";

        assertThat(ServiceLogs.faults(List.of(STOPPED, warn, STARTED, error, STOPPED))).containsExactly(warn, error);
    }

    @Test
    void aLogThatBeginsWithTheStartIsStarting() {
        assertThat(ServiceLogs.faults(List.of(BLOCKED, STARTED))).isEmpty();
        String afterStartUp = BLOCKED.replace("04:48:03.947", "04:50:00.000");
        assertThat(ServiceLogs.faults(List.of(STARTED, afterStartUp))).containsExactly(afterStartUp);
    }
}
