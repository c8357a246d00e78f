"""Reading train.metrics_file (JSON Lines; fields in docs/configuration.md, "Metrics file")."""
import json


def read_records(path):
    """The records of one metrics file, in order; a line that is not JSON names the file and line."""
    records = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise SystemExit(f"{path}:{number}: not a metrics record: {e}")
    return records


def series(records, kind, field):
    """(steps, flops, values, stages) of the records of `kind` that have `field`."""
    chosen = [r for r in records if r.get("kind") == kind and field in r]
    return ([r["step"] for r in chosen], [r["flops"] for r in chosen],
            [r[field] for r in chosen], [r["stage"] for r in chosen])


def stage_starts(records):
    """(step, flops, stage) where each stage after the first begins."""
    starts, last = [], None
    for r in records:
        if last is not None and r["stage"] != last:
            starts.append((r["step"], r["flops"], r["stage"]))
        last = r["stage"]
    return starts
