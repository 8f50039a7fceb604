package io.flotilla.scheduler.placement;

import io.flotilla.contracts.v1.Task;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The node satisfies every placement constraint of the task. A constraint that does not parse (which
 * the API should have refused) is satisfied by no node: the task stays pending instead of crashing.
 */
public final class ConstraintChecker implements NodeChecker {
    private final Map<List<String>, List<Optional<Constraint>>> parsed = new HashMap<>();

    @Override
    public boolean enabled(Task task) {
        return task.getSpec().getPlacement().getConstraintsCount() > 0;
    }

    @Override
    public boolean check(Task task, NodeInfo node) {
        List<Optional<Constraint>> cs = parsed.computeIfAbsent(task.getSpec().getPlacement().getConstraintsList(),
                ConstraintChecker::parseAll);
        for (Optional<Constraint> c : cs) {
            if (c.isEmpty() || !c.get().matches(node.node())) {
                return false;
            }
        }
        return true;
    }

    private static List<Optional<Constraint>> parseAll(List<String> texts) {
        List<Optional<Constraint>> out = new ArrayList<>(texts.size());
        for (String t : texts) {
            out.add(Constraint.parse(t));
        }
        return out;
    }

    @Override
    public String explain(int nodes) {
        return "scheduling constraints not satisfied on " + NodeChecker.nodes(nodes);
    }
}
