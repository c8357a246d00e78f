#!/usr/bin/env python3
"""Decodes a Grafana dashboard with Grafana's own schema (`grafana-foundation-sdk`, its generated
dashboard, panel and Prometheus query models) and checks that nothing is lost: the model, encoded
again, holds every key and value of the file, and every panel's datasource and every query decode
into the Prometheus types. The import envelope (`__inputs`, `__requires`) is not part of the
dashboard model; its Prometheus input must be the one the panels name.

usage: grafana_schema.py DASHBOARD_JSON [--queries]
  --queries  prints each query's PromQL, one per line, taken from the decoded model
"""
import copy
import json
import sys

from grafana_foundation_sdk.cog import plugins
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import prometheus
from grafana_foundation_sdk.models.dashboard import Dashboard, DataSourceRef, RowPanel


def lost(original, again, path="$"):
    """The paths of `original` whose key or value `again` does not hold."""
    if isinstance(original, dict):
        if not isinstance(again, dict):
            return [f"{path} is no longer an object"]
        out = []
        for key, value in original.items():
            out += ([f"{path}.{key} is lost"] if key not in again else
                    lost(value, again[key], f"{path}.{key}"))
        return out
    if isinstance(original, list):
        if not isinstance(again, list) or len(again) != len(original):
            return [f"{path} is no longer a list of {len(original)}"]
        return [p for i, (a, b) in enumerate(zip(original, again)) for p in lost(a, b, f"{path}[{i}]")]
    return [] if original == again else [f"{path}: {original!r} became {again!r}"]


def decode(body):
    """The dashboard model of `body` and what it loses, encoded again."""
    model = Dashboard.from_json(body)
    return model, lost(body, json.loads(json.dumps(model, cls=JSONEncoder)))


def main():
    path, print_queries = sys.argv[1], "--queries" in sys.argv[2:]
    plugins.register_default_plugins()
    with open(path) as file:
        data = json.load(file)
    body = {k: v for k, v in data.items() if not k.startswith("__")}
    model, problems = decode(body)
    # The check can fail: a key the schema does not know is reported as lost.
    mangled = copy.deepcopy(body)
    mangled["panels"][0]["targets"][0]["expresion"] = "up"
    assert any("expresion is lost" in p for p in decode(mangled)[1]), "the loss check saw nothing"

    inputs = [i for i in data.get("__inputs", []) if i.get("pluginId") == "prometheus"]
    if len(inputs) != 1:
        problems.append("__inputs: expected one Prometheus data source input")
    source_uid = "${%s}" % inputs[0]["name"] if inputs else None
    queries = []
    for panel in model.panels:
        if isinstance(panel, RowPanel):
            continue
        where = f"panel {panel.id_val} ({panel.title!r})"
        for name, ref in [("panel", panel.datasource)] + [
                (f"query {q.ref_id}", getattr(q, "datasource", None)) for q in panel.targets or []]:
            if not isinstance(ref, DataSourceRef) or ref.type_val != "prometheus" or ref.uid != source_uid:
                problems.append(f"{where}: the {name}'s data source is not {source_uid}")
        if not panel.targets:
            problems.append(f"{where}: no query")
        for query in panel.targets or []:
            if not isinstance(query, prometheus.Dataquery) or not query.expr:
                problems.append(f"{where}: query {getattr(query, 'ref_id', '?')} is not a "
                                f"Prometheus query with an expression ({type(query).__name__})")
            else:
                queries.append(query.expr)
    if problems:
        sys.exit(f"{path}: " + "\n  ".join(problems))
    if print_queries:
        print("\n".join(queries))
    else:
        print(f"{path}: {len(model.panels)} panels and {len(queries)} Prometheus queries decode "
              f"with Grafana's schema without loss")


if __name__ == "__main__":
    main()
