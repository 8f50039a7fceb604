package io.flotilla.dns.view;

import io.flotilla.contracts.v1.EndpointMode;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Network;
import io.flotilla.contracts.v1.NetworkAttachment;
import io.flotilla.contracts.v1.NetworkAttachmentConfig;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.PortConfig;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.VirtualIP;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

/**
 * dns-svc's name table: networks, services and the running tasks (status RUNNING and desired RUNNING),
 * loaded from a store snapshot and kept current by the state events; plus the node-local map of the
 * extra source addresses (docker_gwbridge) the agent reports for its tasks.
 *
 * <p>Lookups are scoped: the asking task is found by the query's source address (any of its network
 * addresses, or a source address the agent reported for it), and only names on that task's networks
 * (ingress excluded) are answered. Per network, in order: {@code tasks.<service|alias>} -> running task
 * addresses; {@code <service>} -> its VIP (endpoint mode vip) or running task addresses (dnsrr);
 * {@code <alias>} (Task.networks[].aliases) -> the VIP of the tasks' service in vip mode, else the
 * tasks' addresses; task names {@code <service>.<slot>.<task id>}, {@code <service>.<slot>} (global:
 * {@code <service>.<node id>.<task id>}) -> the task's address; then each form again as
 * {@code <name>.<network name>} on that network alone. Names are case-insensitive.
 *
 * <p>Events carry the store index of their batch; each object remembers the index of its last change and
 * an event at or below it is a redelivery (deleted objects leave a bounded tombstone).
 */
public final class NameTable {

    /** A record for SRV answers: target host name (absolute, without the dot), port, address. */
    public record SrvTarget(String target, int port, InetAddress address) {
    }

    private record NetRec(String id, String name, boolean ingress) {
    }

    private record SvcRec(String id, String name, EndpointMode mode, Map<String, InetAddress> vips,
                          Set<String> specTargets, List<PortConfig> ports) {
    }

    private record TaskRec(String id, String serviceId, String serviceName, long slot, String fullName,
                           String shortName, Map<String, List<InetAddress>> addrs, Map<String, List<String>> aliases) {
    }

    private static final int MAX_TOMBSTONES = 50_000;

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    // bumped (under the write lock) by every change that may change an answer: answers cached by the
    // resolver carry the generation they were computed at and are served only while it is current
    private volatile long generation;
    private volatile long changes; // (written under the write lock) applied events that changed an answer (the others only move the index)

    // every object's last applied index (live objects and tombstones)
    private final Map<String, Long> seen = new HashMap<>();
    private final LinkedHashMap<String, Long> tombstones = new LinkedHashMap<>();
    private long index;
    private long snapshotIndex;

    private final Map<String, NetRec> networks = new HashMap<>();
    private final Map<String, String> networkIdsByName = new HashMap<>();
    private final Map<String, SvcRec> services = new HashMap<>();
    private final Map<String, String> serviceIdsByName = new HashMap<>();
    private final Map<InetAddress, String> servicesByVip = new HashMap<>();
    private final Map<String, TaskRec> tasks = new HashMap<>();                   // running only
    private final Map<String, Set<String>> tasksByService = new HashMap<>();
    private final Map<String, Set<String>> tasksByName = new HashMap<>();
    private final Map<String, Set<String>> tasksByAlias = new HashMap<>();       // "<net id>/<alias>"
    private final Map<InetAddress, String> tasksByAddress = new HashMap<>();
    private final Map<InetAddress, String> tasksBySource = new HashMap<>();      // reported by the agent
    private final Map<String, List<InetAddress>> sourcesByTask = new HashMap<>();

    // ------------------------------------------------------------------ feeding

    /** Replaces the whole state with a store snapshot taken at the index (the agent's sources are kept). */
    public void load(Collection<StoredObject> objects, long snapshotIndex) {
        lock.writeLock().lock();
        try {
            seen.clear();
            tombstones.clear();
            networks.clear();
            networkIdsByName.clear();
            services.clear();
            serviceIdsByName.clear();
            servicesByVip.clear();
            tasks.clear();
            tasksByService.clear();
            tasksByName.clear();
            tasksByAlias.clear();
            tasksByAddress.clear();
            generation++;
            index = snapshotIndex;
            this.snapshotIndex = snapshotIndex;
            List<StoredObject> ordered = new ArrayList<>(objects);
            ordered.sort(Comparator.comparingInt(o -> o.getObjectCase() == StoredObject.ObjectCase.TASK ? 1 : 0));
            for (StoredObject o : ordered) {
                switch (o.getObjectCase()) {
                    case NETWORK -> {
                        putNetwork(netRec(o.getNetwork(), o.getNetwork().getMeta().getId()));
                        seen.put(o.getNetwork().getMeta().getId(), o.getNetwork().getMeta().getVersion());
                    }
                    case SERVICE -> {
                        putService(svcRec(o.getService(), o.getService().getMeta().getId()));
                        seen.put(o.getService().getMeta().getId(), o.getService().getMeta().getVersion());
                    }
                    case TASK -> {
                        TaskRec t = taskRec(o.getTask(), o.getTask().getMeta().getId());
                        if (t != null) {
                            putTask(t);
                        }
                        seen.put(o.getTask().getMeta().getId(), o.getTask().getMeta().getVersion());
                    }
                    default -> {
                    }
                }
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Applies one state event; false when it was a redelivery (or of a kind the table ignores). */
    public boolean apply(StateEvent e) {
        Kind kind = e.getKind();
        if (kind != Kind.KIND_NETWORK && kind != Kind.KIND_SERVICE && kind != Kind.KIND_TASK) {
            return false;
        }
        lock.writeLock().lock();
        try {
            String id = e.getId();
            Long last = seen.get(id);
            if (e.getIndex() <= snapshotIndex || (last != null && e.getIndex() <= last)) {
                return false;
            }
            index = Math.max(index, e.getIndex());
            boolean delete = e.getOp() == Op.OP_DELETE;
            // only a change to what the table answers bumps the generation (and so drops cached answers): most
            // events are task status changes before RUNNING or of tasks the table already holds as they are
            boolean changed;
            switch (kind) {
                case KIND_NETWORK -> changed = replace(networks, id,
                        delete ? null : netRec(e.getObject().getNetwork(), id), this::removeNetwork, this::putNetwork);
                case KIND_SERVICE -> changed = replace(services, id,
                        delete ? null : svcRec(e.getObject().getService(), id), this::removeService, this::putService);
                // the table holds only tasks with an address (a task on no network is in no answer)
                default -> changed = replace(tasks, id,
                        delete ? null : taskRec(e.getObject().getTask(), id), this::removeTask, this::putTask);
            }
            if (changed) {
                generation++;
                changes++;
            }
            seen.put(id, e.getIndex());
            if (delete) {
                tombstones.put(id, e.getIndex());
                if (tombstones.size() > MAX_TOMBSTONES) {
                    String oldest = tombstones.keySet().iterator().next();
                    tombstones.remove(oldest);
                    seen.remove(oldest);
                }
            }
            return true;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Replaces the object's record when it differs from the new one (null: none); true when it did. */
    private static <R> boolean replace(Map<String, R> records, String id, R next, Consumer<String> remove,
                                       Consumer<R> put) {
        if (Objects.equals(records.get(id), next)) {
            return false;
        }
        remove.accept(id);
        if (next != null) {
            put.accept(next);
        }
        return true;
    }

    /**
     * Changes with every change to the table (objects or sources): an answer computed after reading
     * generation g is still the table's answer while generation() == g.
     */
    public long generation() {
        return generation;
    }

    /** How many applied events changed what the table answers (readiness data). */
    public long changes() {
        return changes;
    }

    public long index() {
        lock.readLock().lock();
        try {
            return index;
        } finally {
            lock.readLock().unlock();
        }
    }

    // ------------------------------------------------------------------ the agent's source addresses

    /** The extra source addresses (e.g. on docker_gwbridge) the task's queries come from. */
    public void putSources(String taskId, Collection<InetAddress> addresses) {
        lock.writeLock().lock();
        try {
            removeSourcesLocked(taskId);
            generation++;
            List<InetAddress> list = List.copyOf(addresses);
            if (!list.isEmpty()) {
                sourcesByTask.put(taskId, list);
                for (InetAddress a : list) {
                    tasksBySource.put(a, taskId);
                }
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    public void removeSources(String taskId) {
        lock.writeLock().lock();
        try {
            removeSourcesLocked(taskId);
            generation++;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Replaces every reported source (the agent's full list, e.g. after it restarts). */
    public void replaceSources(Map<String, ? extends Collection<InetAddress>> byTask) {
        lock.writeLock().lock();
        try {
            sourcesByTask.clear();
            tasksBySource.clear();
            generation++;
            byTask.forEach((taskId, addrs) -> {
                sourcesByTask.put(taskId, List.copyOf(addrs));
                for (InetAddress a : addrs) {
                    tasksBySource.put(a, taskId);
                }
            });
        } finally {
            lock.writeLock().unlock();
        }
    }

    public Map<String, List<InetAddress>> sources() {
        lock.readLock().lock();
        try {
            return Map.copyOf(sourcesByTask);
        } finally {
            lock.readLock().unlock();
        }
    }

    private void removeSourcesLocked(String taskId) {
        List<InetAddress> old = sourcesByTask.remove(taskId);
        if (old != null) {
            for (InetAddress a : old) {
                tasksBySource.remove(a, taskId);
            }
        }
    }

    // ------------------------------------------------------------------ lookups

    /** The running task a query from this address comes from. */
    public Optional<String> taskAt(InetAddress source) {
        lock.readLock().lock();
        try {
            TaskRec t = askerLocked(source);
            return t == null ? Optional.empty() : Optional.of(t.id());
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * The addresses of a name for the task at the source address: empty when the name is not one of the
     * table's on that task's networks (or the source is no running task): the query goes upstream then.
     * A present, empty list is a known name without addresses (e.g. a dnsrr service without running tasks).
     */
    public Optional<List<InetAddress>> resolve(InetAddress source, String qname) {
        lock.readLock().lock();
        try {
            TaskRec asker = askerLocked(source);
            if (asker == null) {
                return Optional.empty();
            }
            String name = normalize(qname);
            List<NetRec> nets = netsOf(asker);
            for (NetRec n : nets) {
                List<InetAddress> r = resolveOn(n, name);
                if (r != null) {
                    return Optional.of(r);
                }
            }
            for (NetRec n : nets) {
                String suffix = "." + n.name().toLowerCase(Locale.ROOT);
                if (name.length() > suffix.length() && name.endsWith(suffix)) {
                    List<InetAddress> r = resolveOn(n, name.substring(0, name.length() - suffix.length()));
                    if (r != null) {
                        return Optional.of(r);
                    }
                }
            }
            return Optional.empty();
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * The name of an address for the task at the source: a task address on one of its networks gives
     * {@code <task name>.<network>}, a service VIP {@code <service>.<network>}.
     */
    public Optional<String> reverse(InetAddress source, InetAddress address) {
        lock.readLock().lock();
        try {
            TaskRec asker = askerLocked(source);
            if (asker == null) {
                return Optional.empty();
            }
            for (NetRec n : netsOf(asker)) {
                String taskId = tasksByAddress.get(address);
                TaskRec t = taskId == null ? null : tasks.get(taskId);
                if (t != null && t.addrs().getOrDefault(n.id(), List.of()).contains(address)) {
                    return Optional.of(t.fullName() + "." + n.name());
                }
                String svcId = servicesByVip.get(address);
                SvcRec s = svcId == null ? null : services.get(svcId);
                if (s != null && address.equals(s.vips().get(n.id()))) {
                    return Optional.of(s.name() + "." + n.name());
                }
            }
            return Optional.empty();
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * SRV as Docker's resolver does: {@code _<port name>._<proto>.<service>} -> one target per running
     * task on the asker's network ({@code <task name>.<network>}, the port's target port).
     */
    public Optional<List<SrvTarget>> srv(InetAddress source, String qname) {
        String name = normalize(qname);
        String[] parts = name.split("\\.", 3);
        if (parts.length < 3 || !parts[0].startsWith("_") || !parts[1].startsWith("_")) {
            return Optional.empty();
        }
        String portName = parts[0].substring(1);
        String proto = parts[1].substring(1);
        lock.readLock().lock();
        try {
            TaskRec asker = askerLocked(source);
            if (asker == null) {
                return Optional.empty();
            }
            for (NetRec n : netsOf(asker)) {
                String svcName = parts[2];
                String suffix = "." + n.name().toLowerCase(Locale.ROOT);
                String svcId = serviceIdsByName.get(svcName);
                if (svcId == null && svcName.endsWith(suffix)) {
                    svcId = serviceIdsByName.get(svcName.substring(0, svcName.length() - suffix.length()));
                }
                SvcRec s = svcId == null ? null : services.get(svcId);
                if (s == null || !onNetwork(s, n)) {
                    continue;
                }
                Optional<PortConfig> port = s.ports().stream()
                        .filter(p -> p.getName().equalsIgnoreCase(portName)
                                && (p.getProtocol().isEmpty() ? "tcp" : p.getProtocol()).equalsIgnoreCase(proto))
                        .findFirst();
                if (port.isEmpty()) {
                    continue;
                }
                List<SrvTarget> out = new ArrayList<>();
                for (TaskRec t : runningTasks(s.id())) {
                    for (InetAddress a : t.addrs().getOrDefault(n.id(), List.of())) {
                        out.add(new SrvTarget(t.fullName() + "." + n.name(), port.get().getTargetPort(), a));
                    }
                }
                return Optional.of(out);
            }
            return Optional.empty();
        } finally {
            lock.readLock().unlock();
        }
    }

    public int services() {
        lock.readLock().lock();
        try {
            return services.size();
        } finally {
            lock.readLock().unlock();
        }
    }

    public int runningTasks() {
        lock.readLock().lock();
        try {
            return tasks.size();
        } finally {
            lock.readLock().unlock();
        }
    }

    public Optional<String> serviceId(String name) {
        lock.readLock().lock();
        try {
            return Optional.ofNullable(serviceIdsByName.get(normalize(name)));
        } finally {
            lock.readLock().unlock();
        }
    }

    // ------------------------------------------------------------------ internals (lock held)

    static String normalize(String qname) {
        String s = qname.toLowerCase(Locale.ROOT);
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }

    private TaskRec askerLocked(InetAddress source) {
        String id = tasksByAddress.get(source);
        if (id == null) {
            id = tasksBySource.get(source);
        }
        return id == null ? null : tasks.get(id);
    }

    private List<NetRec> netsOf(TaskRec t) {
        List<NetRec> out = new ArrayList<>(t.addrs().size());
        for (String netId : t.addrs().keySet()) {
            NetRec n = networks.get(netId);
            if (n == null) {
                n = new NetRec(netId, netId, false); // network event not seen yet: scope by id
            }
            if (!n.ingress()) {
                out.add(n);
            }
        }
        return out;
    }

    private List<InetAddress> resolveOn(NetRec n, String name) {
        if (name.startsWith("tasks.")) {
            String base = name.substring("tasks.".length());
            String svcId = serviceIdsByName.get(base);
            SvcRec s = svcId == null ? null : services.get(svcId);
            if (s != null && onNetwork(s, n)) {
                return taskAddresses(runningTasks(s.id()), n);
            }
            Set<String> aliased = tasksByAlias.get(n.id() + "/" + base);
            if (aliased != null && !aliased.isEmpty()) {
                return taskAddresses(tasksOf(aliased), n);
            }
            return null;
        }
        String svcId = serviceIdsByName.get(name);
        SvcRec s = svcId == null ? null : services.get(svcId);
        if (s != null && onNetwork(s, n)) {
            return serviceAddresses(s, n);
        }
        Set<String> aliased = tasksByAlias.get(n.id() + "/" + name);
        if (aliased != null && !aliased.isEmpty()) {
            List<TaskRec> ts = tasksOf(aliased);
            Set<String> svcIds = new HashSet<>();
            ts.forEach(t -> svcIds.add(t.serviceId()));
            if (svcIds.size() == 1) {
                SvcRec owner = services.get(svcIds.iterator().next());
                if (owner != null && owner.mode() == EndpointMode.ENDPOINT_VIP && owner.vips().containsKey(n.id())) {
                    return List.of(owner.vips().get(n.id()));
                }
            }
            return taskAddresses(ts, n);
        }
        Set<String> named = tasksByName.get(name);
        if (named != null) {
            List<InetAddress> r = taskAddresses(tasksOf(named), n);
            if (!r.isEmpty()) {
                return r;
            }
        }
        return null;
    }

    private List<InetAddress> serviceAddresses(SvcRec s, NetRec n) {
        if (s.mode() == EndpointMode.ENDPOINT_VIP) {
            InetAddress vip = s.vips().get(n.id());
            if (vip != null) {
                return List.of(vip);
            }
        }
        return taskAddresses(runningTasks(s.id()), n);
    }

    private boolean onNetwork(SvcRec s, NetRec n) {
        if (s.vips().containsKey(n.id()) || s.specTargets().contains(n.id())
                || s.specTargets().contains(n.name().toLowerCase(Locale.ROOT))) {
            return true;
        }
        for (TaskRec t : runningTasks(s.id())) {
            if (t.addrs().containsKey(n.id())) {
                return true;
            }
        }
        return false;
    }

    private List<TaskRec> runningTasks(String serviceId) {
        Set<String> ids = tasksByService.get(serviceId);
        return ids == null ? List.of() : tasksOf(ids);
    }

    private List<TaskRec> tasksOf(Set<String> ids) {
        List<TaskRec> out = new ArrayList<>(ids.size());
        for (String id : ids) {
            TaskRec t = tasks.get(id);
            if (t != null) {
                out.add(t);
            }
        }
        out.sort(Comparator.comparingLong(TaskRec::slot).thenComparing(TaskRec::id));
        return out;
    }

    private static List<InetAddress> taskAddresses(List<TaskRec> ts, NetRec n) {
        List<InetAddress> out = new ArrayList<>(ts.size());
        for (TaskRec t : ts) {
            out.addAll(t.addrs().getOrDefault(n.id(), List.of()));
        }
        return out;
    }

    private static NetRec netRec(Network n, String id) {
        return new NetRec(id, n.getName(), n.getIngress());
    }

    private void putNetwork(NetRec r) {
        networks.put(r.id(), r);
        networkIdsByName.put(r.name().toLowerCase(Locale.ROOT), r.id());
    }

    private void removeNetwork(String id) {
        NetRec old = networks.remove(id);
        if (old != null) {
            networkIdsByName.remove(old.name().toLowerCase(Locale.ROOT), id);
        }
    }

    private SvcRec svcRec(Service s, String id) {
        Map<String, InetAddress> vips = new LinkedHashMap<>();
        for (VirtualIP v : s.getEndpoint().getVirtualIpsList()) {
            Addresses.parse(v.getAddr()).ifPresent(a -> vips.put(v.getNetworkId(), a));
        }
        Set<String> targets = new HashSet<>();
        for (NetworkAttachmentConfig c : s.getSpec().getTask().getNetworksList()) {
            targets.add(c.getTarget());
            targets.add(c.getTarget().toLowerCase(Locale.ROOT));
        }
        EndpointMode mode = s.getSpec().hasEndpoint() ? s.getSpec().getEndpoint().getMode() : EndpointMode.ENDPOINT_VIP;
        List<PortConfig> ports = !s.getEndpoint().getPortsList().isEmpty() ? s.getEndpoint().getPortsList()
                : s.getSpec().getEndpoint().getPortsList();
        return new SvcRec(id, s.getSpec().getName().toLowerCase(Locale.ROOT), mode,
                Collections.unmodifiableMap(vips), targets, List.copyOf(ports));
    }

    private void putService(SvcRec r) {
        services.put(r.id(), r);
        serviceIdsByName.put(r.name(), r.id());
        r.vips().values().forEach(a -> servicesByVip.put(a, r.id()));
    }

    private void removeService(String id) {
        SvcRec old = services.remove(id);
        if (old != null) {
            serviceIdsByName.remove(old.name(), id);
            old.vips().values().forEach(a -> servicesByVip.remove(a, id));
        }
    }

    /** Whether the task has an address on a network: as the state events' {@code flotilla_networks} header counts. */
    private static boolean addressed(Task t) {
        for (NetworkAttachment a : t.getNetworksList()) {
            if (a.getAddressesCount() > 0) {
                return true;
            }
        }
        return false;
    }

    /** Whether the table holds this task (running, meant to run, with an address on a network). */
    public boolean holdsTask(String id) {
        lock.readLock().lock();
        try {
            return tasks.containsKey(id);
        } finally {
            lock.readLock().unlock();
        }
    }

    private static boolean answerable(Task t) {
        return t.getStatus().getState() == TaskState.TASK_RUNNING && t.getDesiredState() == TaskState.TASK_RUNNING;
    }

    /**
     * What the table keeps of a task: null unless it is answerable (running and meant to run) and has an address on a
     * network (a task on none is in no answer; the state feed skips its events without decoding them).
     */
    private TaskRec taskRec(Task t, String id) {
        if (!answerable(t) || !addressed(t)) {
            return null;
        }
        String svcName = t.getServiceName();
        if (svcName.isEmpty()) {
            SvcRec s = services.get(t.getServiceId());
            svcName = s == null ? "" : s.name();
        }
        svcName = svcName.toLowerCase(Locale.ROOT);
        String middle = t.getSlot() > 0 ? Long.toUnsignedString(t.getSlot()) : t.getNodeId();
        String fullName = svcName + "." + middle + "." + id;
        String shortName = svcName + "." + middle;
        Map<String, List<InetAddress>> addrs = new LinkedHashMap<>();
        Map<String, List<String>> aliases = new LinkedHashMap<>();
        for (NetworkAttachment a : t.getNetworksList()) {
            List<InetAddress> list = new ArrayList<>();
            for (String s : a.getAddressesList()) {
                Addresses.parse(s).ifPresent(list::add);
            }
            addrs.put(a.getNetworkId(), List.copyOf(list));
            List<String> al = new ArrayList<>();
            for (String s : a.getAliasesList()) {
                al.add(s.toLowerCase(Locale.ROOT));
            }
            aliases.put(a.getNetworkId(), List.copyOf(al));
        }
        return new TaskRec(id, t.getServiceId(), svcName, t.getSlot(), fullName.toLowerCase(Locale.ROOT),
                shortName.toLowerCase(Locale.ROOT), addrs, aliases);
    }

    private void putTask(TaskRec r) {
        String id = r.id();
        tasks.put(id, r);
        tasksByService.computeIfAbsent(r.serviceId(), k -> new LinkedHashSet<>()).add(id);
        tasksByName.computeIfAbsent(r.fullName(), k -> new LinkedHashSet<>()).add(id);
        tasksByName.computeIfAbsent(r.shortName(), k -> new LinkedHashSet<>()).add(id);
        r.aliases().forEach((net, list) -> list.forEach(
                al -> tasksByAlias.computeIfAbsent(net + "/" + al, k -> new LinkedHashSet<>()).add(id)));
        r.addrs().values().forEach(list -> list.forEach(a -> tasksByAddress.put(a, id)));
    }

    private void removeTask(String id) {
        TaskRec old = tasks.remove(id);
        if (old == null) {
            return;
        }
        removeFrom(tasksByService, old.serviceId(), id);
        removeFrom(tasksByName, old.fullName(), id);
        removeFrom(tasksByName, old.shortName(), id);
        old.aliases().forEach((net, list) -> list.forEach(al -> removeFrom(tasksByAlias, net + "/" + al, id)));
        old.addrs().values().forEach(list -> list.forEach(a -> tasksByAddress.remove(a, id)));
    }

    private static void removeFrom(Map<String, Set<String>> index, String key, String id) {
        Set<String> s = index.get(key);
        if (s != null) {
            s.remove(id);
            if (s.isEmpty()) {
                index.remove(key);
            }
        }
    }
}
