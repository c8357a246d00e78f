#!/usr/bin/env python3
"""Reads a run's TensorBoard event files with the `tensorboard` package and checks them against
the run's metrics file: every numeric field of every record is a scalar at the record's step with
the record's value (as float32), under the tag docs/operations.md gives ("progress/FIELD" for
where the run is, "KIND/FIELD" else, "_before_growth" for the validation just before a growth), the
first record of a step that has the tag winning; no tag has a step twice or going back.

usage: tensorboard_check.py METRICS_JSONL TENSORBOARD_DIR [TAG ...]
  TAG: a tag that must be among them
"""
import json
import os
import sys

import numpy as np
from tensorboard.backend.event_processing import event_accumulator, event_file_loader
from tensorboard.util import tensor_util

PROGRESS = {"tokens", "flops", "stage_index", "parameters"}
NOT_SCALARS = {"kind", "step", "wall_s"}


def tag_of(record, field):
    if field in PROGRESS:
        return "progress/" + field
    tag = record["kind"] + "/" + field
    return tag + "_before_growth" if record.get("growth") == "before" else tag


def expected(metrics_path):
    want = {}
    with open(metrics_path) as lines:
        for line in lines:
            record = json.loads(line)
            for field, value in record.items():
                if field in NOT_SCALARS or isinstance(value, (bool, str)):
                    continue
                want.setdefault((tag_of(record, field), record["step"]), np.float32(value))
    return want


def written(tb_dir):
    files = sorted(f for f in os.listdir(tb_dir) if "tfevents" in f)
    assert files, f"no event file in {tb_dir}"
    seen, last_step = {}, {}
    for name in files:
        events = list(event_file_loader.EventFileLoader(os.path.join(tb_dir, name)).Load())
        assert events and events[0].file_version == "brain.Event:2", f"{name}: no file version"
        for event in events[1:]:
            for value in event.summary.value:
                number = (np.float32(value.simple_value) if value.HasField("simple_value") else
                          np.float32(tensor_util.make_ndarray(value.tensor).item()))
                key = (value.tag, event.step)
                assert key not in seen, f"{name}: {value.tag} has step {event.step} twice"
                assert event.step > last_step.get(value.tag, -1), (
                    f"{name}: {value.tag} goes back to step {event.step}")
                seen[key], last_step[value.tag] = number, event.step
    return seen, files


def main():
    metrics_path, tb_dir, required = sys.argv[1], sys.argv[2], sys.argv[3:]
    want = expected(metrics_path)
    seen, files = written(tb_dir)
    missing = sorted(set(want) - set(seen))
    extra = sorted(set(seen) - set(want))
    assert not missing, f"not in the event files: {missing[:5]}"
    assert not extra, f"not in the metrics file: {extra[:5]}"
    differ = [(k, want[k], seen[k]) for k in want if want[k] != seen[k]]
    assert not differ, f"values differ (tag, step), metrics file, event file: {differ[:5]}"
    # TensorBoard's own accumulator (what its scalar dashboard reads) sees the same loss curve.
    accumulator = event_accumulator.EventAccumulator(tb_dir)
    accumulator.Reload()
    losses = [(s.step, np.float32(s.value)) for s in accumulator.Scalars("train/loss")]
    assert losses == sorted((k[1], v) for k, v in want.items() if k[0] == "train/loss"), losses
    tags = sorted({k[0] for k in want})
    absent = [tag for tag in required if tag not in tags]
    assert not absent, f"tags missing: {absent} (there are {tags})"
    print(f"tensorboard: {len(seen)} scalars in {len(files)} file(s), {len(tags)} tags "
          f"({', '.join(tags)}), equal to the metrics file")


if __name__ == "__main__":
    main()
