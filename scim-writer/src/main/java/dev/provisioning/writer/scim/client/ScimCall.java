package dev.provisioning.writer.scim.client;

/**
 * One SCIM request for one object.
 *
 * @param objectId the source object id, for logs
 * @param method GET, POST, PATCH or DELETE
 * @param template the path for logs and metrics, without values ({@code /Users/{id}})
 * @param uri the path and query relative to the tenant URL
 * @param body the JSON body, or null
 */
public record ScimCall(String objectId, String method, String template, String uri, String body) {
}
