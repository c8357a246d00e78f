"""Probes made of plain TCP sockets: idle connections, drip-fed HTTP headers, timed scrapes.

All sockets of a probe are served by one thread with a selector, so a few hundred of them cost
the probe almost nothing."""
import errno
import selectors
import socket
import statistics
import time


def _connect_all(host, port, count, budget=10.0):
    """COUNT connected sockets (non-blocking from then on) and the errors of those that failed,
    by errno name. Connecting stops after BUDGET seconds (a full listen backlog makes each
    connect wait); the sockets not tried then count as `not tried`."""
    socks, errors = [], {}
    end = time.monotonic() + budget
    for _ in range(count):
        left = end - time.monotonic()
        if left <= 0:
            errors["not tried"] = errors.get("not tried", 0) + 1
            continue
        try:
            s = socket.create_connection((host, port), timeout=min(5.0, left))
            s.setblocking(False)
            socks.append(s)
        except OSError as e:
            name = errno.errorcode.get(e.errno, str(e)) if e.errno else type(e).__name__
            errors[name] = errors.get(name, 0) + 1
    return socks, errors


class _Held:
    """One held socket: what the server sent and when it closed it."""

    def __init__(self, sock):
        self.sock = sock
        self.received = 0
        self.sent = 0  # bytes sent (the drip)
        self.greeted_s = None  # first bytes from the server
        self.closed_s = None  # server closed or reset it
        self.how = None
        self.reply = b""


def _hold(held, seconds, began, tick=None, every=None):
    """Holds the sockets for SECONDS from now, recording what the server does; calls TICK() every
    EVERY seconds (the drip). Returns when the time is up."""
    sel = selectors.DefaultSelector()
    for h in held:
        sel.register(h.sock, selectors.EVENT_READ, h)
    end = time.monotonic() + seconds
    next_tick = time.monotonic() + every if tick else None
    while True:
        now = time.monotonic()
        if now >= end:
            break
        wait = end - now
        if next_tick is not None:
            wait = min(wait, max(0.0, next_tick - now))
        for key, _ in sel.select(wait):
            h = key.data
            try:
                data = h.sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError as e:
                data, h.how = b"", errno.errorcode.get(e.errno, "error")
            at = time.monotonic() - began
            if data:
                h.received += len(data)
                if h.greeted_s is None:
                    h.greeted_s = at
                if len(h.reply) < 200:
                    h.reply += data[: 200 - len(h.reply)]
            else:
                h.closed_s, h.how = at, h.how or "eof"
                sel.unregister(h.sock)
        if next_tick is not None and time.monotonic() >= next_tick:
            tick()
            next_tick += every
    sel.close()


def _summary(held, errors, count):
    closed = sorted(h.closed_s for h in held if h.closed_s is not None)
    out = {
        "count": count,
        "connected": len(held),
        "connect_errors": errors,
        "greeted": sum(1 for h in held if h.greeted_s is not None),
        "closed_by_server": len(closed),
        "held_to_end": len(held) - len(closed),
        "first_close_s": round(closed[0], 2) if closed else None,
        "median_close_s": round(statistics.median(closed), 2) if closed else None,
        "last_close_s": round(closed[-1], 2) if closed else None,
    }
    hows = {}
    for h in held:
        if h.closed_s is not None:
            hows[h.how] = hows.get(h.how, 0) + 1
    out["close_kinds"] = hows
    return out


def idle(host, port, count, hold, ready=None):
    """COUNT connections that send nothing, held HOLD seconds."""
    began = time.monotonic()
    socks, errors = _connect_all(host, port, count)
    held = [_Held(s) for s in socks]
    out = {"connect_s": round(time.monotonic() - began, 2)}
    if ready:
        ready()
    _hold(held, hold, began)
    for h in held:
        h.sock.close()
    out.update(_summary(held, errors, count))
    return out


# A request header that never ends: one more byte of an ever longer header field per tick.
_DRIP_HEAD = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Drip: "


def drip(host, port, count, hold, interval, ready=None):
    """COUNT connections each sending one byte of an unfinished HTTP header every INTERVAL
    seconds, held HOLD seconds."""
    began = time.monotonic()
    socks, errors = _connect_all(host, port, count)
    held = [_Held(s) for s in socks]
    sent = {"bytes": 0, "send_errors": 0}

    def tick():
        for h in held:
            if h.closed_s is not None or h.how == "send":
                continue
            byte = _DRIP_HEAD[h.sent : h.sent + 1] or b"a"
            try:
                h.sock.send(byte)
                h.sent += 1
                sent["bytes"] += 1
            except OSError:
                sent["send_errors"] += 1
                h.how = "send"

    tick()
    out = {"connect_s": round(time.monotonic() - began, 2)}
    if ready:
        ready()
    _hold(held, hold, began, tick, interval)
    for h in held:
        h.sock.close()
    out.update(_summary(held, errors, count))
    out.update(sent)
    replies = {}
    for h in held:
        if h.reply:
            first = h.reply.split(b"\r\n", 1)[0].decode("latin-1")
            replies[first] = replies.get(first, 0) + 1
    out["replies"] = replies
    return out


def scrape_once(host, port, deadline, path="/metrics"):
    """One GET with an overall DEADLINE (connect, send, read to the end): (seconds, HTTP status
    or None, error or None)."""
    began = time.monotonic()
    end = began + deadline
    try:
        with socket.create_connection((host, port), timeout=deadline) as s:
            s.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
            data = b""
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError()
                s.settimeout(left)
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    except (TimeoutError, socket.timeout):
        return round(time.monotonic() - began, 3), None, "timeout"
    except OSError as e:
        return round(time.monotonic() - began, 3), None, errno.errorcode.get(e.errno, str(e))
    seconds = round(time.monotonic() - began, 3)
    try:
        status = int(data.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return seconds, None, "no HTTP reply"
    return seconds, status, None if status == 200 else f"HTTP {status}"


def scrape(host, port, times, deadline):
    """TIMES scrapes in a row; each one's seconds (None when it failed) and errors."""
    latencies, errors = [], []
    for _ in range(times):
        seconds, _, error = scrape_once(host, port, deadline)
        latencies.append(None if error else seconds)
        errors.append(error)
    ok = [s for s in latencies if s is not None]
    return {
        "times": times,
        "deadline_s": deadline,
        "answered": len(ok),
        "latencies_s": latencies,
        "errors": errors,
        "max_s": max(ok) if ok else None,
    }


def scrape_until_ok(host, port, deadline, within):
    """Scrapes until one answers (each bounded by DEADLINE), for at most WITHIN seconds: the
    seconds until the first answer (None: none came) and the attempts."""
    began = time.monotonic()
    attempts = 0
    while time.monotonic() - began < within:
        attempts += 1
        _, _, error = scrape_once(host, port, deadline)
        if error is None:
            return {"recovered_s": round(time.monotonic() - began, 2), "attempts": attempts}
        time.sleep(0.1)
    return {"recovered_s": None, "attempts": attempts, "within_s": within}
