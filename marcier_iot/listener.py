"""The platform listener: uplink messages from a shared subscription (an
MQTT broker's, or a JetStream durable consumer: marcier_wire/jetstream.py), in
batches, one transaction per batch, acknowledged to the broker only after
the commit.  A listener or database restart therefore loses no acknowledged
message; what the broker redelivers is recognised and skipped."""
import json
import logging
import statistics
import threading
import time
from collections import Counter, deque

from marcier_wire import topics
from marcier_wire.errors import ConfigError
from marcier_wire.jetstream import Cluster, JetStreamLink, stream_name
from marcier_wire.transport import MqttLink

from .ingest import Message

logger = logging.getLogger(__name__)


class Listener:

    def __init__(self, link, database_name, tenant, batch_size=5000,
            max_delay=0.2, idle=0.02):
        self.link = link
        self.database_name = database_name
        self.tenant = tenant
        self.batch_size = batch_size
        self.max_delay = max_delay  # oldest message waits at most this
        self.idle = idle  # a pause this long in the stream ends a batch
        self.pending = deque()
        self.arrived = threading.Condition()
        self.last_arrival = 0.0
        self.counters = Counter()
        self.lags = deque(maxlen=100_000)  # sample time → commit, seconds
        self.timeline = {}  # first and last commit times, first batch size
        link.on_message = self.on_message
        for kind in topics.UPLINK:
            link.subscribe(topics.shared(tenant, kind))

    def on_message(self, topic, payload, token):
        with self.arrived:
            self.pending.append(Message(topic, payload, time.time(), token))
            self.last_arrival = time.monotonic()
            if len(self.pending) >= self.batch_size:
                self.arrived.notify()

    def run(self, stop):
        "Store batches until the threading.Event stop is set"
        while not stop.is_set():
            batch = self.next_batch(stop)
            if batch:
                self.commit(batch, stop)

    def next_batch(self, stop):
        with self.arrived:
            if not self.pending:
                self.arrived.wait(0.5)
            if not self.pending:
                return []
            first = self.pending[0].received
            while (len(self.pending) < self.batch_size and not stop.is_set()
                    and time.time() - first < self.max_delay
                    and time.monotonic() - self.last_arrival < self.idle):
                self.arrived.wait(self.idle)
            count = min(len(self.pending), self.batch_size)
            return [self.pending.popleft() for _ in range(count)]

    def commit(self, batch, stop):
        delay, attempts = 0.5, 0
        while True:
            try:
                outcome = self.store(batch)
                break
            except Exception as exception:
                if not self.database_up():
                    # Keep the batch unacknowledged until the database is back
                    logger.warning("database unavailable (%s), retrying in "
                        "%.0fs", exception, delay)
                    self.counters['retries'] += 1
                    if stop.wait(delay):
                        return
                    delay = min(delay * 2, 10)
                    continue
                logger.exception("batch failed: storing its messages one "
                    "by one")
                # When nothing at all can be stored, the platform more likely
                # is at fault than the messages: keep them unacknowledged
                # for a while before rejecting them
                attempts += 1
                outcome = self.store_one_by_one(
                    batch, stop, reject_all=attempts >= 5)
                if outcome is not None:
                    break
                self.counters['retries'] += 1
                if stop.wait(delay):
                    return
                delay = min(delay * 2, 60)
        committed = time.time()
        for message in batch:
            self.link.ack(message.token)
        self.count(batch, outcome, committed)

    def store(self, batch):
        from trytond.transaction import Transaction

        from . import ingest
        with Transaction().start(self.database_name, 0, readonly=False) \
                as transaction:
            read_committed(transaction)
            return ingest.process(self.tenant, batch, time.time())

    def store_one_by_one(self, batch, stop, reject_all=False):
        """Isolate the messages that make a batch fail and log them as
        processing errors; None when none could be stored (unless
        reject_all)"""
        from .ingest import Outcome
        total, failed = Outcome(), []
        for message in batch:
            if stop.is_set():
                return None
            try:
                outcome = self.store([message])
            except Exception as exception:
                failed.append((message, exception))
                continue
            total.stored += outcome.stored
            total.duplicates += outcome.duplicates
            total.answers += outcome.answers
            total.rejects.update(outcome.rejects)
            total.sample_times.extend(outcome.sample_times)
        if len(failed) == len(batch) and not reject_all:
            return None
        for message, exception in failed:
            logger.error("message on %s failed: %r", message.topic, exception)
            self.log_error(message, exception)
            total.rejects['error'] += 1
        return total

    def log_error(self, message, exception):
        from trytond.pool import Pool
        from trytond.transaction import Transaction

        from .ingest import utc
        with Transaction().start(self.database_name, 0, readonly=False):
            Pool().get('iot.telemetry.reject').log([(
                        utc(message.received), message.topic,
                        None, 'error', repr(exception), message.payload)])

    def database_up(self):
        from trytond.transaction import Transaction
        try:
            with Transaction().start(self.database_name, 0, readonly=True) \
                    as transaction:
                transaction.connection.cursor().execute('SELECT 1')
            return True
        except Exception:
            return False

    def count(self, batch, outcome, committed):
        counters = self.counters
        counters['received'] += len(batch)
        counters['stored'] += outcome.stored
        counters['duplicates'] += outcome.duplicates
        counters['answers'] += outcome.answers
        counters['batches'] += 1
        for reason, number in outcome.rejects.items():
            counters[f'rejected {reason}'] += number
        self.lags.extend(committed - t for t in outcome.sample_times)
        # Rates are measured from the listener's own commits, not by
        # polling the table (benchmarks/ingest.py)
        self.timeline.setdefault('first_commit', committed)
        self.timeline.setdefault('first_batch', len(batch))
        self.timeline['last_commit'] = committed

    def stats(self):
        "Counters so far, the commit timeline, the lag percentiles in ms"
        result = {**self.counters, **self.timeline}
        lags = sorted(self.lags)
        if len(lags) >= 2:
            cuts = statistics.quantiles(lags, n=100)
            result['lag_p50_ms'] = round(cuts[49] * 1000, 1)
            result['lag_p99_ms'] = round(cuts[98] * 1000, 1)
        return result


def read_committed(transaction):
    """Listeners' batches update the same vehicles' live state: under
    trytond's REPEATABLE READ the second of two concurrent batches fails
    to serialize and is retried; READ COMMITTED waits for the first and
    updates what it committed (the update never rewinds a newer state)"""
    from trytond import backend
    if backend.name == 'postgresql':
        from psycopg import IsolationLevel
        transaction.connection.isolation_level = IsolationLevel.READ_COMMITTED


def listen(source, database_name, tenant, name, stop, batch_size=5000,
        max_delay=0.2, stats_every=10, as_json=False):
    """Store what the source (a Broker or a JetStream Cluster) delivers
    until the threading.Event stop is set, printing the counters every
    stats_every seconds"""
    if isinstance(source, Cluster):
        # Room for the batch being stored and the next one
        link = JetStreamLink(source, client_id(tenant, name),
            stream_name(tenant), window=2 * batch_size)
    else:
        link = MqttLink(source, client_id(tenant, name), persistent=True,
            manual_ack=True)
    listener = Listener(link, database_name, tenant,
        batch_size=batch_size, max_delay=max_delay)
    link.start()
    print(f"Listening to {source} for tenant {tenant} as "
        f"{name}, storing into {database_name}", flush=True)
    worker = threading.Thread(target=listener.run, args=(stop,))
    worker.start()
    try:
        while not stop.wait(stats_every):
            print_stats(listener.stats(), as_json, link)
    finally:
        worker.join()
        link.stop()
        print_stats(listener.stats(), as_json, link)


def client_id(tenant, name):
    "The broker session of a listener: it survives the listener's restarts"
    return f'marcier-listener-{tenant}-{name}'


def retire(broker, tenant, name):
    "Connect once with a clean session: the broker drops the old one"
    if isinstance(broker, Cluster):
        print("Nothing to end: JetStream listeners share one durable "
            "consumer, and what a listener held goes back to the others "
            "after ack_wait", flush=True)
        return
    stop = threading.Event()
    ident = client_id(tenant, name)
    link = MqttLink(broker, ident)
    link.on_connection = lambda connected: connected and stop.set()
    link.start()
    if not stop.wait(10):
        raise ConfigError(
            f"cannot reach {broker}: {link.refused or 'no answer'}")
    link.stop()
    print(f"Session {ident} ended; messages it had not acknowledged "
        "are gone from the broker", flush=True)


def print_stats(stats, as_json, link):
    if as_json:
        print(json.dumps({'time': time.time(), 'connected': link.connected,
                    **stats}), flush=True)
    else:
        state = "connected" if link.connected else (
            f"refused: {link.refused}" if link.refused else "disconnected")
        print(f"[{state}] " + ", ".join(
                f"{k} {v}" for k, v in sorted(stats.items())), flush=True)
