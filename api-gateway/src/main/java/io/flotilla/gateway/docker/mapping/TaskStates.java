package io.flotilla.gateway.docker.mapping;

import io.flotilla.contracts.v1.TaskState;

import java.util.Locale;

/** Task states as Docker writes them: the lower-case words new, pending, ..., orphaned. */
public final class TaskStates {
    private TaskStates() {
    }

    public static String toDocker(TaskState state) {
        if (state == null || state == TaskState.UNRECOGNIZED) {
            return "new";
        }
        return state.name().substring("TASK_".length()).toLowerCase(Locale.ROOT);
    }

    public static TaskState fromDocker(String word) {
        try {
            return TaskState.valueOf("TASK_" + word.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidSpecException("invalid task state: " + word);
        }
    }
}
