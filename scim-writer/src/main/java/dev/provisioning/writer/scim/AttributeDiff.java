package dev.provisioning.writer.scim;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What must change on the target: the desired attributes that differ from the current ones. Only paths the target
 * lets a client update are considered; a desired attribute that is absent from the desired state is left alone (the
 * service never sends nulls, so it never removes a value).
 */
public final class AttributeDiff {

    private AttributeDiff() {
    }

    /**
     * @param desired the normalised desired attributes ({@link UserState#normalize(Map)})
     * @param current the normalised current attributes (last known, or read from the target)
     * @param updatable the paths that may be changed
     * @return the changes in the order of {@code desired}; empty when nothing differs
     */
    public static List<AttributeChange> diff(Map<String, Object> desired, Map<String, Object> current,
            Set<String> updatable) {
        List<AttributeChange> changes = new ArrayList<>();
        desired.forEach((path, value) -> {
            if (!updatable.contains(path)) {
                return;
            }
            Object old = current.get(path);
            if (!Objects.equals(value, old)) {
                changes.add(new AttributeChange(path, old, value));
            }
        });
        return changes;
    }
}
