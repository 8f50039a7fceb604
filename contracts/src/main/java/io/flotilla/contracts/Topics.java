package io.flotilla.contracts;

import java.nio.charset.StandardCharsets;
import java.util.Properties;

/** Kafka topic names shared by producers and consumers. */
public final class Topics {
    /** Every committed object change, in commit order. See schemas/state-event.v1.md. */
    public static final String STATE_V1 = "flotilla.state.v1";
    /** The record header carrying the event's store (Raft) index, in decimal. */
    public static final String INDEX_HEADER = "flotilla_index";
    /**
     * The record header carrying the id of the swarm (cluster) whose store made the event. One topic outlives a
     * swarm (a swarm left and a new one initialised on the same broker): the new swarm's indexes start again at 1,
     * so a consumer skips the records of any other swarm, and the publisher resumes only after its own.
     */
    public static final String CLUSTER_HEADER = "flotilla_cluster";
    /**
     * The record header of a task event that carries the task: how many of its network attachments have an address,
     * in decimal. A consumer that answers only for tasks on networks (dns-svc) skips the events of a task with none
     * that it does not hold without decoding them (most of a service's events when it has no network).
     */
    public static final String NETWORKS_HEADER = "flotilla_networks";
    /** The most a follower's fetch waits at the broker for a record (fetch.max.wait.ms), in ms. */
    public static final int IDLE_FETCH_WAIT_MS = 5000;

    /**
     * Whether a record whose {@link #INDEX_HEADER} value is {@code header} is at or below {@code index} (a
     * consumer that has the state up to that index skips it without decoding it); false when the header is
     * absent or not a number (then the record is judged by its content).
     */
    public static boolean atOrBelow(byte[] header, long index) {
        if (header == null || header.length == 0 || header.length > 19) {
            return false;
        }
        long v = 0;
        for (byte b : header) {
            if (b < '0' || b > '9') {
                return false;
            }
            v = v * 10 + (b - '0');
        }
        return v <= index;
    }

    /**
     * Whether a record whose {@link #NETWORKS_HEADER} value is {@code header} carries a task with no addressed network
     * attachment; false when the header is absent or not "0" (then the record is judged by its content).
     */
    public static boolean onNoNetwork(byte[] header) {
        return header != null && header.length == 1 && header[0] == '0';
    }

    /**
     * Whether a record whose {@link #CLUSTER_HEADER} value is {@code header} was made by another swarm than
     * {@code clusterId}; false when either is unknown (a record without the header, a consumer that does not know
     * its swarm), so that the record is judged as before.
     */
    public static boolean ofOtherCluster(byte[] header, String clusterId) {
        return header != null && header.length > 0 && clusterId != null && !clusterId.isEmpty()
                && otherCluster(new String(header, StandardCharsets.UTF_8), clusterId);
    }

    /** As {@link #ofOtherCluster(byte[], String)}, with the record's swarm as a string (null: no header). */
    public static boolean otherCluster(String recordCluster, String clusterId) {
        return recordCluster != null && !recordCluster.isEmpty() && clusterId != null && !clusterId.isEmpty()
                && !clusterId.equals(recordCluster);
    }

    /**
     * How every follower of {@link #STATE_V1} reads it (Kafka consumer settings, by their names: this module does not
     * depend on the client): from the given brokers, keys and values with {@code deserializer}, no committed offsets
     * (a follower seeks by index itself), and only the records of committed transactions (the publisher writes in
     * transactions; a fenced leader's aborted one is published again by the next leader, and read uncommitted its
     * changes would arrive twice, the second time after newer ones), and a fetch the broker holds up to
     * {@link #IDLE_FETCH_WAIT_MS} while the topic has no new record.
     */
    public static Properties stateConsumerSettings(String bootstrap, Class<?> deserializer) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("key.deserializer", deserializer.getName());
        props.put("value.deserializer", deserializer.getName());
        props.put("enable.auto.commit", "false");
        props.put("isolation.level", "read_committed");
        // the broker answers a fetch as soon as a record is there: the wait only bounds an idle topic's fetches
        // (one every 5 s instead of the client's default two a second)
        props.put("fetch.max.wait.ms", Integer.toString(IDLE_FETCH_WAIT_MS));
        return props;
    }

    private Topics() {
    }
}
