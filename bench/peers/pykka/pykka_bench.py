#!/usr/bin/python3
"""Pykka 3.1 peer for cokka's benchmark suite (bench/compare).

Idiomatic Pykka: ThreadingActor (one OS thread per actor), ref.tell / ref.ask, ref.proxy().

Usage: pykka_bench.py <workload> [n]
Prints one machine-readable line per result:
  RESULT workload=<name> impl=pykka value=<number> unit=<unit> n=<count> threads=<t>
"threads" is the number of actor threads (Pykka has no pool: one thread per actor; the GIL lets
one run Python code at a time).
"""

import sys
import threading
import time

import pykka

INC = "inc"
COUNT = "count"


def rss_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return -1


def report(workload, value, unit, n, threads):
    print(
        f"RESULT workload={workload} impl=pykka value={value:.6g} unit={unit} n={n} threads={threads}",
        flush=True,
    )


class Echo(pykka.ThreadingActor):
    def on_receive(self, message):
        return message


# ---- 1. ask ping-pong: A asks B (blocking its own thread, as Pykka does) ---------------------


class Pinger(pykka.ThreadingActor):
    def __init__(self, pong):
        super().__init__()
        self.pong = pong

    def on_receive(self, message):
        n = message
        for i in range(n):
            if self.pong.ask(i) != i:
                raise RuntimeError("wrong echo")
        return n


def ask_pingpong(n):
    b = Echo.start()
    a = Pinger.start(b)
    t0 = time.perf_counter()
    a.ask(n)
    s = time.perf_counter() - t0
    report("ask_pingpong", n / s, "ops/s", n, 2)
    pykka.ActorRegistry.stop_all()


# ---- 2. tell throughput: one sender (main thread), n tells, then one ask ----------------------


class Counter(pykka.ThreadingActor):
    def __init__(self):
        super().__init__()
        self.count = 0

    def on_receive(self, message):
        if message is INC:
            self.count += 1
        elif message == COUNT:
            return self.count


def tell_throughput(n):
    c = Counter.start()
    t0 = time.perf_counter()
    for _ in range(n):
        c.tell(INC)
    got = c.ask(COUNT)
    s = time.perf_counter() - t0
    if got != n:
        raise SystemExit(f"counter saw {got} of {n}")
    report("tell_throughput", n / s, "ops/s", n, 1)
    pykka.ActorRegistry.stop_all()


# ---- 3. fan-in: 4 sender actors x n/4 tells to one receiver ------------------------------------


class Sink(pykka.ThreadingActor):
    def __init__(self, target, done):
        super().__init__()
        self.count = 0
        self.target = target
        self.done = done

    def on_receive(self, message):
        self.count += 1
        if self.count == self.target:
            self.done.set()


class Source(pykka.ThreadingActor):
    def on_receive(self, message):
        to, n = message
        for _ in range(n):
            to.tell(INC)


def fan_in(n):
    senders = 4
    per = n // senders
    done = threading.Event()
    sink = Sink.start(per * senders, done)
    sources = [Source.start() for _ in range(senders)]
    t0 = time.perf_counter()
    for s in sources:
        s.tell((sink, per))
    done.wait()
    s = time.perf_counter() - t0
    report("fan_in", per * senders / s, "ops/s", per * senders, senders + 1)
    pykka.ActorRegistry.stop_all()


# ---- 4. blocking ask round trip from a plain thread --------------------------------------------


def blocking_ask(n):
    echo = Echo.start()
    t0 = time.perf_counter()
    for i in range(n):
        if echo.ask(i) != i:
            raise SystemExit("wrong echo")
    s = time.perf_counter() - t0
    report("blocking_ask", s * 1e6 / n, "us/op", n, 1)
    pykka.ActorRegistry.stop_all()


# ---- 5. fork-join create: start, one message, stop (poison pill behind the message) ------------


class Worker(pykka.ThreadingActor):
    def on_receive(self, message):
        pass


def fj_create(n):
    t0 = time.perf_counter()
    stops = []
    for i in range(n):
        w = Worker.start()
        w.tell(i)
        stops.append(w.stop(block=False))
    for f in stops:
        f.get()
    s = time.perf_counter() - t0
    report("fj_create", s * 1e6 / n, "us/actor", n, n)


# ---- 6. memory: RSS delta per idle actor ---------------------------------------------------------


class Idle(pykka.ThreadingActor):
    def __init__(self, seen):
        super().__init__()
        self.seen = seen

    def on_receive(self, message):
        self.seen.release()


def memory(n):
    seen = threading.Semaphore(0)
    w = Idle.start(seen)  # warm-up: one actor through its whole life
    w.tell(0)
    seen.acquire()
    w.stop()
    before = rss_bytes()
    actors = [Idle.start(seen) for _ in range(n)]
    for a in actors:
        a.tell(1)
    for _ in range(n):
        seen.acquire()
    after = rss_bytes()
    report("memory", (after - before) / n, "bytes/actor", n, n)
    pykka.ActorRegistry.stop_all()


# ---- 7. thread ring: 100 actors, a token passed n hops -------------------------------------------


class RingNode(pykka.ThreadingActor):
    def __init__(self, done):
        super().__init__()
        self.done = done
        self.next = None

    def on_receive(self, message):
        kind, value = message
        if kind == "next":
            self.next = value
        elif value == 0:
            self.done.set()
        else:
            self.next.tell(("token", value - 1))


def thread_ring(n):
    size = 100
    done = threading.Event()
    nodes = [RingNode.start(done) for _ in range(size)]
    for i, node in enumerate(nodes):
        node.tell(("next", nodes[(i + 1) % size]))
    t0 = time.perf_counter()
    nodes[0].tell(("token", n))
    done.wait()
    s = time.perf_counter() - t0
    report("thread_ring", n / s, "ops/s", n, size)
    pykka.ActorRegistry.stop_all()


# ---- 8. proxy call round trip from a plain thread -------------------------------------------------


class Calculator(pykka.ThreadingActor):
    def add(self, a, b):
        return a + b


def proxy(n):
    calc = Calculator.start().proxy()
    t0 = time.perf_counter()
    for i in range(n):
        if calc.add(i, 1).get() != i + 1:
            raise SystemExit("wrong sum")
    s = time.perf_counter() - t0
    report("proxy", s * 1e6 / n, "us/op", n, 1)
    pykka.ActorRegistry.stop_all()


# Reduced defaults so that one run takes seconds (rates are per op, so counts do not matter).
WORKLOADS = {
    "ask_pingpong": (ask_pingpong, 20_000),
    "tell_throughput": (tell_throughput, 200_000),
    "fan_in": (fan_in, 200_000),
    "blocking_ask": (blocking_ask, 20_000),
    "fj_create": (fj_create, 5_000),
    "memory": (memory, 5_000),
    "thread_ring": (thread_ring, 20_000),
    "proxy": (proxy, 20_000),
}


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in WORKLOADS:
        print(f"usage: {sys.argv[0]} <{'|'.join(WORKLOADS)}> [n]", file=sys.stderr)
        return 2
    fn, default_n = WORKLOADS[sys.argv[1]]
    n = int(sys.argv[2]) if len(sys.argv) > 2 and int(sys.argv[2]) > 0 else default_n
    fn(n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
