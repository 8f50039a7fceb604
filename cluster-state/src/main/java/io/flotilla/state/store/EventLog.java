package io.flotilla.state.store;

import io.flotilla.contracts.v1.StateEvent;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The recent history of applied batches (bounded by a number of events) and the subscribers that
 * follow new ones. Appends come from the state machine's apply, under its lock, in index order.
 */
public final class EventLog {

    /** The events of one applied batch. */
    public record Batch(long index, List<StateEvent> events) {
    }

    /** Follows applied batches; called under the state machine's lock, so it must only enqueue. */
    public interface Subscriber {
        void onBatch(Batch batch);

        /** The history was replaced (a snapshot was installed): the subscriber must start again. */
        void onReset(String why);
    }

    private final int capacity;
    private final ArrayDeque<Batch> batches = new ArrayDeque<>();
    private final CopyOnWriteArrayList<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private int eventCount;
    private long floor; // history holds every batch with index > floor

    public EventLog(int capacityEvents) {
        this.capacity = capacityEvents;
    }

    synchronized void append(long index, List<StateEvent> events) {
        Batch b = new Batch(index, List.copyOf(events));
        batches.addLast(b);
        eventCount += events.size();
        while (eventCount > capacity && batches.size() > 1) {
            Batch old = batches.removeFirst();
            eventCount -= old.events().size();
            floor = old.index();
        }
        for (Subscriber s : subscribers) {
            s.onBatch(b);
        }
    }

    synchronized void reset(long index) {
        batches.clear();
        eventCount = 0;
        floor = index;
        List<Subscriber> ended = new ArrayList<>(subscribers);
        subscribers.clear();
        for (Subscriber s : ended) {
            s.onReset("the state was replaced by a snapshot at index " + index + "; watch again from 0");
        }
    }

    /** The lowest from-index the history can serve. */
    public synchronized long floor() {
        return floor;
    }

    /**
     * Every retained batch after fromIndex.
     *
     * @throws StoreException FAILED_PRECONDITION when batches after fromIndex are no longer retained
     */
    public synchronized List<Batch> since(long fromIndex) {
        if (fromIndex < floor) {
            throw new StoreException(StoreException.Reason.FAILED_PRECONDITION,
                    "index " + fromIndex + " is older than the history kept (from " + floor + "); watch again from 0");
        }
        List<Batch> out = new ArrayList<>();
        for (Batch b : batches) {
            if (b.index() > fromIndex) {
                out.add(b);
            }
        }
        return out;
    }

    public synchronized void subscribe(Subscriber s) {
        subscribers.add(s);
    }

    public void unsubscribe(Subscriber s) {
        subscribers.remove(s);
    }
}
