/**
 * The dispatcher: the manager's end of the session each node-agent holds on 2377 (DESIGN.md, control
 * loop steps 5 and 6). It registers nodes (status READY), sends every node the full set of tasks it
 * must run whenever that set changes (one shared watch of the store for all sessions, debounced),
 * applies the task status the agents report (only for their own tasks, only forward moves, batched
 * compare-and-set writes) and marks a node DOWN when its heartbeats stop for the grace period.
 * The decisions live in plain classes ({@link io.flotilla.state.dispatcher.NodeLiveness},
 * {@link io.flotilla.state.dispatcher.TaskRules}, {@link io.flotilla.state.dispatcher.AssignmentIndex},
 * {@link io.flotilla.state.dispatcher.Dispatcher}); {@link io.flotilla.state.dispatcher.DispatcherGrpcService}
 * only decodes and encodes the stream.
 */
package io.flotilla.state.dispatcher;
