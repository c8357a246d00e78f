"""What a probe watches while it holds its load: the thread count of a process (/proc/PID/task)
and the training speed read from the run's log.

Speed: the log's step lines (`step     25/2000000 | loss ... | 0.004 s | ...`, one per
train.log_interval steps) are read as they arrive; the speed over a window is the steps gained
between the last line seen at its start and the last seen at its end, over its length. A run that
stalls or dies in the window reads as slow as it was, and the error is at most
train.log_interval steps (5 in the tests: under 1% of a 5 s window at 100 steps/s)."""
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
        """Steps per second between the monotonic times BEGAN and ENDED (None: no step line)."""
        first, last = self.start_step, self.start_step
        for t, step in self.arrivals:
            if t <= began:
                first = step
            if t <= ended:
                last = step
        if first is None or last is None:
            return None
        return (last - first) / max(ended - began, 1e-9)


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
            speed = self.tail.speed(self.began, self.ended)
            out["steps_per_s"] = None if speed is None else round(speed, 2)
            out["speed_window_s"] = round(self.ended - self.began, 2)
        return out


def watch(pid, log, seconds, every=0.1):
    """Monitor for SECONDS; its figures."""
    m = Monitor(pid, log, every)
    m.start()
    time.sleep(seconds)
    return m.stop()
