#!/usr/bin/python3
"""Runs the shell examples of the docs that are marked to run, and checks the output they show.

In a page (README.md, docs/*.md), an HTML comment right before a code block (indented or fenced)
marks it:

    <!-- run -->           the block is a bash script; it must exit 0
    <!-- run: exit N -->   ... it must exit N
    <!-- output -->        every line of the block must appear, in order, in the output of the
                           page's last run block (timings, throughput and clock times masked)

Blocks run in order, each page in a scratch copy of the repository layout: `build` is the build
directory, configs/, scripts/ and deploy/ are the source tree's, and ../shared is the shared data.

    tests/docs/doc_examples.py SOURCE_DIR BUILD_DIR [PAGE ...]
"""
import os
import re
import subprocess
import sys
import tempfile

MARK = re.compile(r"^<!-- (run(?:: exit (\d+))?|output) -->\s*$")

# What differs from run to run: the clock, timings and throughput.
MASKS = [
    (re.compile(r"\[\d\d:\d\d:\d\d r(\d+)\]"), r"[hh:mm:ss r\1]"),
    (re.compile(r"\b\d+(\.\d+)? s\b"), "T s"),
    (re.compile(r"\b\d+ tokens/s\b"), "N tokens/s"),
    (re.compile(r"\b\d+(\.\d+)? GFLOP/s\b"), "N GFLOP/s"),
    (re.compile(r"\b\d+(\.\d+)? MB/s\b"), "N MB/s"),
]


def normalized(line):
    line = line.rstrip()
    for pattern, replacement in MASKS:
        line = pattern.sub(replacement, line)
    return line


def blocks(path):
    """(line number, kind, expected exit, text) of every marked block of a page."""
    lines = open(path, encoding="utf-8").read().split("\n")
    found = []
    i = 0
    while i < len(lines):
        mark = MARK.match(lines[i])
        if not mark:
            i += 1
            continue
        start = i + 1
        j = start
        while j < len(lines) and not lines[j].strip():
            j += 1
        body = []
        if j < len(lines) and lines[j].startswith("```"):
            j += 1
            while j < len(lines) and not lines[j].startswith("```"):
                body.append(lines[j])
                j += 1
        else:
            while j < len(lines) and (lines[j].startswith("    ") or not lines[j].strip()):
                body.append(lines[j][4:])
                j += 1
        while body and not body[-1].strip():
            body.pop()
        if not body:
            raise SystemExit(f"{path}:{start}: a marker without a code block after it")
        kind = "output" if mark.group(1) == "output" else "run"
        found.append((start, kind, int(mark.group(2) or 0), "\n".join(body)))
        i = j
    return found


def sandbox(source, build, scratch):
    repo = os.path.join(scratch, "repo")
    os.makedirs(repo)
    os.symlink(os.path.abspath(build), os.path.join(repo, "build"))
    for name in ("configs", "scripts", "deploy", "docs"):
        os.symlink(os.path.join(source, name), os.path.join(repo, name))
    os.symlink(os.path.join(source, "..", "shared"), os.path.join(scratch, "shared"))
    return repo


def check_page(page, source, build):
    failures = 0
    output = None
    with tempfile.TemporaryDirectory(prefix="tf-docs.") as scratch:
        repo = sandbox(source, build, scratch)
        for line, kind, expected_exit, text in blocks(page):
            where = f"{os.path.relpath(page, source)}:{line}"
            if kind == "run":
                run = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", text], cwd=repo,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=dict(os.environ, OMP_NUM_THREADS="1"))
                output = run.stdout
                if run.returncode != expected_exit:
                    print(f"FAIL {where}: exited {run.returncode}, the page says {expected_exit}\n"
                          f"{text}\n--- output (last 20 lines) ---")
                    print("\n".join(output.splitlines()[-20:]))
                    failures += 1
                else:
                    print(f"ok   {where}: ran, exit {expected_exit}")
                continue
            if output is None:
                print(f"FAIL {where}: an output block before any run block")
                failures += 1
                continue
            actual = [normalized(l) for l in output.splitlines()]
            position = 0
            for wanted in text.splitlines():
                want = normalized(wanted)
                while position < len(actual) and want not in actual[position]:
                    position += 1
                if position == len(actual):
                    print(f"FAIL {where}: the output has no line (after the ones before) with\n"
                          f"  {want}\n--- output (last 20 lines) ---")
                    print("\n".join(output.splitlines()[-20:]))
                    failures += 1
                    break
                position += 1
            else:
                print(f"ok   {where}: output as shown")
    return failures


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    source, build = os.path.abspath(sys.argv[1]), sys.argv[2]
    pages = sys.argv[3:] or [os.path.join(source, "README.md")] + sorted(
        os.path.join(source, "docs", name) for name in os.listdir(os.path.join(source, "docs"))
        if name.endswith(".md"))
    failures = sum(check_page(page, source, build) for page in pages)
    marked = sum(len(blocks(page)) for page in pages)
    if marked == 0:
        raise SystemExit("no marked blocks: nothing was checked")
    print(f"{marked} marked blocks in {len(pages)} pages, {failures} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
