package dev.provisioning.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.provisioning.demo.LocalSystem;

/**
 * The benchmark command: {@code java -jar bench/target/bench.jar [--quick] [--scenario NAME] [--users N] ...} (see
 * {@link BenchOptions#USAGE}). Writes {@code result.json} and {@code result.md} into the output directory (default
 * {@code bench/target/bench}) even when a scenario fails; exits 0 only when every scenario completed with Druva
 * holding exactly what the directory says.
 */
public final class BenchCommand {

    private BenchCommand() {
    }

    public static void main(String[] args) {
        System.exit(execute(args, System.out));
    }

    /**
     * Runs the benchmark.
     *
     * @return the exit code: 0 when every scenario is ok with a zero diff, 1 otherwise, 2 for a wrong command line
     */
    public static int execute(String[] args, PrintStream out) {
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (BenchOptions.HelpRequested e) {
            out.print(BenchOptions.USAGE);
            return 0;
        } catch (IllegalArgumentException e) {
            out.println(e.getMessage());
            out.print(BenchOptions.USAGE);
            return 2;
        }
        Path output = options.output() != null
                ? options.output()
                : LocalSystem.findHome().resolve("bench/target/bench");
        Map<String, Object> machine = Report.machine(args);
        Benchmark benchmark = new Benchmark(options, out, output);
        String error = null;
        try {
            benchmark.execute();
        } catch (RuntimeException e) {
            error = e.getMessage() == null ? e.toString() : e.getMessage();
            out.println("The benchmark stopped: " + error);
            if (!(e instanceof Benchmark.Aborted)) {
                e.printStackTrace(out);
            }
        }
        List<ScenarioResult> results = benchmark.results();
        Report.write(output, machine, options, benchmark.run(), results, benchmark.isolation(), error);
        out.printf("%nResults: %s and %s%n", output.resolve("result.json"), output.resolve("result.md"));
        out.println();
        out.print(Report.markdown(machine, benchmark.run(), results, benchmark.isolation(), error));
        boolean ok = error == null && (!results.isEmpty() || benchmark.isolation() != null)
                && results.stream().allMatch(ScenarioResult::ok)
                && (benchmark.isolation() == null || benchmark.isolation().ok());
        return ok ? 0 : 1;
    }
}
