/**
 * What the gateway's APIs do, independent of their wire format: create, change and remove services,
 * nodes and the cluster through the store with compare-and-set, find objects by id, name or id
 * prefix as Docker does, validate specs, and count service status. Both the native REST API and the
 * Docker Engine API call these classes; errors are {@link io.flotilla.gateway.service.ApiException}s
 * carrying an HTTP status and, for what Docker reports as a swarmkit gRPC error, its gRPC code.
 */
package io.flotilla.gateway.service;
