#!/usr/bin/env python3
"""Load-and-abuse probes of a run's control API and metrics endpoint (tests/e2e/control_abuse.sh,
tests/bench/control_abuse.sh). Each subcommand prints one JSON line of figures on stdout.

  idle         --port P --count N --hold S                 N TCP connections that send nothing
  watch        --port P --count N --hold S [--token-file F] N WatchProgress streams, drained
  drip         --port P --count N --hold S --interval I    N unfinished HTTP headers, a byte per I s
  scrape       --port P --times K [--deadline D]           K GETs of /metrics in a row
               --port P --until-ok W [--deadline D]        scrapes until one answers (at most W s)
  threads      --pid PID [--seconds S]                     thread count now (or peak over S s)
  speed        --log F --seconds S                         training steps/s from the run's log
  big-growth   --port P --token-file F --bytes B           ScaleUp with a B-byte forged growth
  unauth-flood --port P --calls N                          N Pause calls without a token

The load probes also take --pid PID and --log F (thread count and training speed while they
hold) and --ready F (a file created once the load is in place). Runs on the system python3 with
python3-grpcio (scripts/install-deps.sh)."""
import argparse
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import monitor  # noqa: E402
import raw_sockets  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="probe", required=True)

    def probe(name, port=True, load=True):
        s = sub.add_parser(name)
        if port:
            s.add_argument("--host", default="127.0.0.1")
            s.add_argument("--port", type=int, required=True)
        if load:
            s.add_argument("--pid", type=int, help="sample this process's threads")
            s.add_argument("--log", help="read the training speed from this log")
            s.add_argument("--ready", help="create this file once the load is in place")
        return s

    s = probe("idle")
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--hold", type=float, required=True)
    s = probe("watch")
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--hold", type=float, required=True)
    s.add_argument("--per-channel", type=int, default=20)
    s.add_argument("--token-file")
    s = probe("drip")
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--hold", type=float, required=True)
    s.add_argument("--interval", type=float, required=True)
    s = probe("scrape", load=False)
    s.add_argument("--times", type=int, default=1)
    s.add_argument("--until-ok", type=float, metavar="SECONDS")
    s.add_argument("--deadline", type=float, default=2.0)
    s = probe("threads", port=False, load=False)
    s.add_argument("--pid", type=int, required=True)
    s.add_argument("--seconds", type=float, default=0)
    s = probe("speed", port=False, load=False)
    s.add_argument("--log", required=True)
    s.add_argument("--seconds", type=float, required=True)
    s = probe("big-growth")
    s.add_argument("--token-file", required=True)
    s.add_argument("--bytes", type=int, required=True)
    s = probe("unauth-flood")
    s.add_argument("--calls", type=int, required=True)
    s.add_argument("--in-flight", type=int, default=64)
    s.add_argument("--within", type=float, default=10.0, help="no new call after this many s")
    a = p.parse_args()

    out = {"probe": a.probe}
    if a.probe == "threads":
        if a.seconds > 0:
            out.update(monitor.watch(a.pid, None, a.seconds))
        else:
            out["threads"] = monitor.thread_count(a.pid)
        print(json.dumps(out), flush=True)
        return
    if a.probe == "speed":
        out.update(monitor.watch(None, a.log, a.seconds, every=0.05))
        print(json.dumps(out), flush=True)
        return

    watcher = None
    if getattr(a, "pid", None) or getattr(a, "log", None):
        watcher = monitor.Monitor(a.pid, a.log, every=0.05)
        watcher.start()
    ready = (lambda: pathlib.Path(a.ready).touch()) if getattr(a, "ready", None) else None
    target = f"{a.host}:{a.port}"

    if a.probe == "idle":
        out.update(raw_sockets.idle(a.host, a.port, a.count, a.hold, ready))
    elif a.probe == "drip":
        out.update(raw_sockets.drip(a.host, a.port, a.count, a.hold, a.interval, ready))
    elif a.probe == "scrape":
        if a.until_ok is not None:
            out.update(raw_sockets.scrape_until_ok(a.host, a.port, a.deadline, a.until_ok))
        else:
            out.update(raw_sockets.scrape(a.host, a.port, a.times, a.deadline))
    else:
        import control_rpc

        if a.probe == "watch":
            out.update(control_rpc.watch(target, a.count, a.hold, a.per_channel,
                                         control_rpc.read_token(a.token_file), ready))
        elif a.probe == "big-growth":
            out.update(control_rpc.big_growth(target, control_rpc.read_token(a.token_file),
                                              a.bytes))
        elif a.probe == "unauth-flood":
            out.update(control_rpc.unauth_flood(target, a.calls, a.in_flight, within=a.within))
    if watcher:
        out.update(watcher.stop())
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
