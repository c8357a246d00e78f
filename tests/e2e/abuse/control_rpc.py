"""Probes that speak the control API (gRPC): a flood of WatchProgress streams, a ScaleUp with a
huge growth string, a flood of unauthenticated Pause calls.

The Python stubs are generated at run time from proto/tokenformer/control/v1/control.proto into a
temporary directory, with protoc and grpc_python_plugin (Debian: protobuf-compiler,
protobuf-compiler-grpc); the runtime is python3-grpcio. (Debian 12's python3-grpc-tools bundles a
protoc too old for proto3 `optional` fields.)"""
import asyncio
import importlib
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[3]
PROTO = "tokenformer/control/v1/control.proto"

# The probe must see whatever the server sends, however large: no client-side caps.
UNCAPPED = [
    ("grpc.max_metadata_size", 64 << 20),
    ("grpc.max_receive_message_length", -1),
    ("grpc.max_send_message_length", -1),
]


# How gRPC's client words an UNAVAILABLE for a call that no connection carried.
NO_CONNECTION = "failed to connect to all addresses"


def stubs():
    """(control_pb2, control_pb2_grpc), generated into a temporary directory."""
    protoc, plugin = shutil.which("protoc"), shutil.which("grpc_python_plugin")
    if not protoc or not plugin:
        sys.exit("probe: needs protoc and grpc_python_plugin (scripts/install-deps.sh)")
    out = tempfile.mkdtemp(prefix="tf-probe-stubs.")
    subprocess.run(
        [protoc, f"-I{ROOT / 'proto'}", f"--python_out={out}", f"--grpc_out={out}",
         f"--plugin=protoc-gen-grpc={plugin}", str(ROOT / "proto" / PROTO)],
        check=True)
    sys.path.insert(0, out)
    module = PROTO[: -len(".proto")].replace("/", ".")
    pb2 = importlib.import_module(module + "_pb2")
    pb2_grpc = importlib.import_module(module + "_pb2_grpc")
    shutil.rmtree(out)  # imported: the files are no longer needed
    return pb2, pb2_grpc


def read_token(path):
    return pathlib.Path(path).read_text().strip() if path else None


def _metadata(token):
    return (("authorization", "Bearer " + token),) if token else None


def _code_name(code):
    return code.name if code is not None else None


def watch(target, count, hold, per_channel, token=None, ready=None):
    """COUNT WatchProgress streams, PER_CHANNEL to a channel (one TCP connection each), drained
    for HOLD seconds and then cancelled. `refused`: calls the server ended with an error status;
    `unconnected`: calls whose channel got no connection (counted apart)."""
    import grpc

    pb2, pb2_grpc = stubs()
    streams = {"events": 0, "got_events": 0, "ended_ok": 0, "refused": {}, "samples": {},
               "first_event_s": [], "unconnected": 0, "unconnected_sample": None}

    seen = [0] * count  # events per stream

    async def one(stub, i, began):
        call = stub.WatchProgress(pb2.WatchProgressRequest(), metadata=_metadata(token))
        try:
            async for _ in call:
                if seen[i] == 0:
                    streams["got_events"] += 1
                    streams["first_event_s"].append(time.monotonic() - began)
                seen[i] += 1
                streams["events"] += 1
            streams["ended_ok"] += 1
        except grpc.aio.AioRpcError as e:
            code, details = _code_name(e.code()), e.details() or ""
            if code == "CANCELLED":
                return
            if code == "UNAVAILABLE" and details.startswith(NO_CONNECTION):
                # Never reached the server: its connection was refused or closed before the
                # call went out (a connection bound, or no server).
                streams["unconnected"] += 1
                streams["unconnected_sample"] = details[:300]
                return
            streams["refused"][code] = streams["refused"].get(code, 0) + 1
            streams["samples"].setdefault(code, details[:300])
        except asyncio.CancelledError:
            call.cancel()
            raise

    async def main():
        began = time.monotonic()
        options = UNCAPPED + [("grpc.use_local_subchannel_pool", 1)]
        channels = [grpc.aio.insecure_channel(target, options=options)
                    for _ in range((count + per_channel - 1) // per_channel)]
        tasks = [asyncio.ensure_future(
            one(pb2_grpc.TrainingControlStub(channels[i // per_channel]), i, began))
            for i in range(count)]
        await asyncio.sleep(0.5)  # the calls start
        if ready:
            ready()
        await asyncio.wait(tasks, timeout=max(0.0, hold - 0.5))
        open_at_end = [i for i, t in enumerate(tasks) if not t.done()]
        for i in open_at_end:
            tasks[i].cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for c in channels:
            await c.close()
        return len(channels), len(open_at_end), sum(1 for i in open_at_end if seen[i] == 0)

    # Not asyncio.run: its final cancellation of grpc's own leftover tasks can hang for ever
    # (grpcio 1.51, a few hundred streams). The loop is dropped instead; the process ends soon.
    loop = asyncio.new_event_loop()
    nchannels, open_at_end, waiting = loop.run_until_complete(main())
    firsts = sorted(streams.pop("first_event_s"))
    return {
        "count": count,
        "channels": nchannels,
        "got_events": streams["got_events"],
        "events": streams["events"],
        "refused": sum(streams["refused"].values()),
        "refused_codes": streams["refused"],
        "messages": streams["samples"],
        "unconnected": streams["unconnected"],  # calls that never reached the server
        "unconnected_message": streams["unconnected_sample"],
        "ended_ok": streams["ended_ok"],
        "open_at_end": open_at_end,
        "waiting_at_end": waiting,  # open, but not one event yet
        "median_first_event_s": round(firsts[len(firsts) // 2], 2) if firsts else None,
    }


def forged_growth(size):
    """SIZE bytes of text whose newlines are followed by what looks like a log line."""
    forged = "\n[00:00:01 r0] control: Stop from ipv4:1.2.3.4 applied at step 1: forged\n"
    unit = "g" * 3000 + forged  # also lines longer than any log line should be
    text = (unit * (size // len(unit) + 1))[:size]
    return text, forged.strip("\n")


def big_growth(target, token, size, deadline=10.0):
    """One ScaleUp, with the token, whose growth is SIZE bytes with forged log lines in it."""
    import grpc

    pb2, pb2_grpc = stubs()
    growth, forged = forged_growth(size)
    with grpc.insecure_channel(target, options=UNCAPPED) as channel:
        stub = pb2_grpc.TrainingControlStub(channel)
        began = time.monotonic()
        try:
            reply = stub.ScaleUp(pb2.ScaleUpRequest(growth=growth), timeout=deadline,
                                 metadata=_metadata(token))
            code, message = "OK", reply.message
        except grpc.RpcError as e:
            code, message = _code_name(e.code()), e.details() or ""
    return {
        "bytes": len(growth.encode()),
        "code": code,
        "message_bytes": len(message.encode()),
        "message_has_newline": "\n" in message or "\r" in message,
        "message_head": message[:160],
        "seconds": round(time.monotonic() - began, 3),
        "forged": forged,
    }


def unauth_flood(target, calls, in_flight=64, deadline=2.0, within=10.0):
    """CALLS Pause calls without a token, IN_FLIGHT at a time, each bounded by DEADLINE; no new
    call after WITHIN seconds."""
    import grpc

    pb2, pb2_grpc = stubs()
    codes, samples = {}, {}
    with grpc.insecure_channel(target, options=UNCAPPED) as channel:
        stub = pb2_grpc.TrainingControlStub(channel)
        began = time.monotonic()
        pending, started = [], 0

        def settle(future):
            try:
                future.result()
                code, message = "OK", ""
            except grpc.RpcError as e:
                code, message = _code_name(e.code()), e.details() or ""
            codes[code] = codes.get(code, 0) + 1
            samples.setdefault(code, message[:200])

        while started < calls and time.monotonic() - began < within:
            while len(pending) >= in_flight:
                settle(pending.pop(0))
            pending.append(stub.Pause.future(pb2.PauseRequest(), timeout=deadline))
            started += 1
        for f in pending:
            settle(f)
        seconds = time.monotonic() - began
    return {
        "calls": calls,
        "made": started,
        "codes": codes,
        "messages": samples,
        "seconds": round(seconds, 2),
        "calls_per_s": round(started / seconds, 1) if seconds > 0 else None,
    }

