package dev.provisioning.writer.it;

import java.util.List;

import dev.provisioning.druva.DruvaScimServer;

/** A request the Druva server received, with its path relative to the tenant URL ({@code /Users/42}). */
record Sent(String method, String path, String query, String body, int status) {

    static List<Sent> of(DruvaScimServer druva) {
        return druva.requests().stream()
                .map(r -> new Sent(r.method(), r.path().substring(DruvaScimServer.BASE_PATH.length()), r.query(),
                        r.body(), r.status()))
                .toList();
    }
}
