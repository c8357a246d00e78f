"""What a probe watches while it holds its load: the thread count of a process (/proc/PID/task)
and the training speed read from the run's log.

Speed: the log's step lines (`step     25/2000000 | loss ... | 0.004 s | ...`, one per
train.log_interval steps) are read as they arrive, each stamped with the time it was seen; the
speed over a window is (last step - first step) / (time between them) of the lines that arrived in
it. With fewer than two lines it falls back to the steps gained over the whole window (a stalled
run reads 0)."""
import os
import re
import threading
import time

STEP_LINE = re.compile(rb"\bstep\s+(\d+)/\d+ \| loss ")


def thread_count(pid):
    """Threads of PID, or None once it has gone."""
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except FileNotFoundError:
        return None


def last_step(data):
    """The highest step of the step lines in DATA (bytes), or None."""
    steps = [int(m.group(1)) for m in STEP_LINE.finditer(data)]
    return max(steps) if steps else None


class LogTail:
    """Step lines appended to a log after construction, with the time each was first seen."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 65536))
            self.start_step = last_step(f.read())
        self.offset = size
        self.partial = b""
        self.arrivals = []  # (monotonic seconds, step)

    def poll(self):
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        self.offset += len(data)
        now = time.monotonic()
        lines = (self.partial + data).split(b"\n")
        self.partial = lines.pop()
        for line in lines:
            m = STEP_LINE.search(line)
            if m:
                self.arrivals.append((now, int(m.group(1))))

    def speed(self, began, ended):
        """Steps per second between the monotonic times BEGAN and ENDED, and how it was read."""
        inside = [(t, s) for t, s in self.arrivals if began <= t <= ended]
        if len(inside) >= 2 and inside[-1][0] > inside[0][0]:
            (t0, s0), (t1, s1) = inside[0], inside[-1]
            return (s1 - s0) / (t1 - t0), "lines"
        before = [s for t, s in self.arrivals if t < began]
        first = before[-1] if before else self.start_step
        last = inside[-1][1] if inside else first
        if first is None or last is None:
            return None, "no step lines"
        return (last - first) / max(ended - began, 1e-9), "window"


class Monitor(threading.Thread):
    """Samples the thread count of PID and the step lines of LOG every EVERY seconds until
    stop(); figures() says what it saw. Either may be None."""

    def __init__(self, pid=None, log=None, every=0.1):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.tail = LogTail(log) if log else None
        self.threads = []
        self.halt = threading.Event()
        self.began = self.ended = None

    def run(self):
        self.began = time.monotonic()
        while True:
            if self.pid:
                n = thread_count(self.pid)
                if n is not None:
                    self.threads.append(n)
            if self.tail:
                self.tail.poll()
            if self.halt.wait(self.every):
                break
        self.ended = time.monotonic()

    def stop(self):
        self.halt.set()
        self.join()
        return self.figures()

    def figures(self):
        out = {}
        if self.pid:
            out["threads_start"] = self.threads[0] if self.threads else None
            out["threads_peak"] = max(self.threads) if self.threads else None
            out["threads_end"] = self.threads[-1] if self.threads else None
        if self.tail:
            speed, how = self.tail.speed(self.began, self.ended)
            out["steps_per_s"] = None if speed is None else round(speed, 2)
            out["speed_from"] = how
        return out


def watch(pid, log, seconds, every=0.1):
    """Monitor for SECONDS; its figures."""
    m = Monitor(pid, log, every)
    m.start()
    time.sleep(seconds)
    return m.stop()
