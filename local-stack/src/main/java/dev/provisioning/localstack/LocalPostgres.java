package dev.provisioning.localstack;

import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A real PostgreSQL server from the embedded binaries on Maven Central, on a free port, with one database per service.
 * User and password are both {@code postgres}.
 *
 * <p>
 * It is stopped by {@link #close()} only: zonky's own shutdown hook is not registered. The JVM runs its shutdown hooks
 * all at once, so that hook stopped PostgreSQL ({@code pg_ctl stop -m fast}: every session ends with SQLSTATE 57P01)
 * while the run command's hook was still stopping the services that use it: a digest sent but not yet recorded failed
 * its commit, logged as ERROR. {@link LocalStack} stops it in order, after the stack's users ({@link
 * LocalStack#stopFirst}), from its own hook. PostgreSQL runs in its own session ({@code pg_ctl} starts the server with
 * {@code setsid}), so a terminal's Ctrl-C does not reach it either.
 */
public final class LocalPostgres implements AutoCloseable {

    public static final String USER = "postgres";
    public static final String PASSWORD = "postgres";

    private final EmbeddedPostgres postgres;

    private LocalPostgres(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /** Starts a server and creates the named databases. */
    public static LocalPostgres start(Collection<String> databases) {
        try {
            LocalPostgres pg = new LocalPostgres(EmbeddedPostgres.builder()
                    .setPort(Ports.free())
                    .setServerConfig("max_connections", "300")
                    .setServerConfig("fsync", "off")
                    .setRegisterShutdownHook(false)
                    .start());
            for (String db : databases) {
                pg.createDatabase(db);
            }
            return pg;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start embedded PostgreSQL", e);
        }
    }

    /** Creates a database unless it exists. */
    public void createDatabase(String name) {
        if (!name.matches("[a-z_][a-z0-9_]*")) {
            throw new IllegalArgumentException("database name must be lower-case letters, digits and _: " + name);
        }
        try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + name + "'")) {
                if (rs.next()) {
                    return;
                }
            }
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name, e);
        }
    }

    public int port() {
        return postgres.getPort();
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/" + database;
    }

    /** The URL for Quarkus' reactive PostgreSQL client. */
    public String reactiveUrl(String database) {
        return "postgresql://127.0.0.1:" + port() + "/" + database;
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new IllegalStateException("cannot stop embedded PostgreSQL", e);
        }
    }
}
