package dev.provisioning.telemetry;

import java.time.Duration;
import java.util.Arrays;
import java.util.Set;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;

/**
 * Histograms with a dozen explicit SLO buckets instead of Micrometer's percentile histogram, which published about 70
 * buckets for every tag combination (deploy/METRICS.md: about 1,100 series for one job's SCIM requests). A service
 * declares the buckets of its timers once, as a {@code MeterFilter} bean, so no {@code Timer.builder} call in the code
 * can bring the 70 buckets back.
 */
public final class SloHistograms {

    private SloHistograms() {
    }

    /**
     * A filter that gives the timers named {@code names} exactly these bucket bounds (plus {@code +Inf}) and no
     * percentile histogram; other meters pass unchanged.
     *
     * @param names Micrometer meter names ({@code scim.writer.request.duration})
     * @param bounds the buckets' upper bounds, ascending
     */
    public static MeterFilter timers(Set<String> names, Duration... bounds) {
        double[] nanos = Arrays.stream(bounds).mapToDouble(Duration::toNanos).sorted().toArray();
        return new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (!names.contains(id.getName())) {
                    return config;
                }
                return DistributionStatisticConfig.builder().percentilesHistogram(false).percentiles()
                        .serviceLevelObjectives(nanos).build().merge(config);
            }
        };
    }

    /** Bounds in seconds, for {@link #timers}: {@code seconds(0.025, 0.05, 0.1)}. */
    public static Duration[] seconds(double... bounds) {
        return Arrays.stream(bounds).mapToObj(s -> Duration.ofNanos(Math.round(s * 1e9))).toArray(Duration[]::new);
    }
}
