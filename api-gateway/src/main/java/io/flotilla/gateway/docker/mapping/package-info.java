/**
 * Docker Engine API 1.41 JSON (the shapes of its swarm objects: Swarm, Node, Service, Task and their
 * specs) to and from Flotilla's protobuf objects, and the checks Docker makes on what it is given
 * (constraint syntax, enum words, integer nanosecond durations). Plain code on Jackson trees: no
 * Quarkus, no gRPC, no store access; the REST resources decode with it, call the service layer and
 * encode with it.
 */
package io.flotilla.gateway.docker.mapping;
