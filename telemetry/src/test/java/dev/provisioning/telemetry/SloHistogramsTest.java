package dev.provisioning.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

class SloHistogramsTest {

    @Test
    void aNamedTimerHasExactlyTheGivenBucketsEvenIfItsBuilderAskedForAPercentileHistogram() {
        MeterRegistry registry = new SimpleMeterRegistry();
        registry.config().meterFilter(SloHistograms.timers(Set.of("scim.writer.request.duration"),
                SloHistograms.seconds(0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2.5, 5, 10, 30)));

        Timer timer = Timer.builder("scim.writer.request.duration").publishPercentileHistogram().register(registry);
        timer.record(80, TimeUnit.MILLISECONDS);
        Timer other = Timer.builder("other").register(registry);
        other.record(Duration.ofSeconds(1));

        CountAtBucket[] buckets = timer.takeSnapshot().histogramCounts();
        assertThat(buckets).hasSize(12);
        assertThat(buckets[0].bucket(TimeUnit.SECONDS)).isEqualTo(0.025);
        assertThat(buckets[11].bucket(TimeUnit.SECONDS)).isEqualTo(30.0);
        assertThat(Arrays.stream(buckets).filter(b -> b.bucket(TimeUnit.SECONDS) == 0.1).findFirst().orElseThrow()
                .count()).isEqualTo(1.0);
        assertThat(other.takeSnapshot().histogramCounts()).isEmpty();
    }
}
