#!/usr/bin/python3
"""Runs the shell examples of the docs that are marked to run, and checks the output they show.

In a page (README.md, docs/*.md), an HTML comment right before a code block (indented or fenced)
marks it:

    <!-- run -->           the block is a bash script; it must exit 0
    <!-- run: exit N -->   ... it must exit N
    <!-- output -->        every line of the block must appear, in order, in the output of the
                           page's last run block (timings, throughput and clock times masked);
                           `...` in a line stands for any text, a line of only `...` for nothing
    <!-- output: numbers vary -->
                           ... with every number masked, for output whose steps and figures
                           differ from run to run

Blocks run in order, each page in a scratch copy of the repository layout: `build` is the build
directory, configs/, scripts/, deploy/ and docs/ are the source tree's, and ../shared is the
shared data. One intra-op thread per process; mpirun may run as root and oversubscribe (as CI
needs).

    tests/docs/doc_examples.py SOURCE_DIR BUILD_DIR [PAGE ...]
"""
import os
import re
import signal
import subprocess
import sys
import tempfile

MARK = re.compile(r"^<!-- (run(?:: exit (\d+))?|output(: numbers vary)?) -->\s*$")

# What differs from run to run: the clock, timings and throughput.
MASKS = [
    (re.compile(r"\[\d\d:\d\d:\d\d r(\d+)\]"), r"[hh:mm:ss r\1]"),
    (re.compile(r"\b\d+(\.\d+)? s\b"), "T s"),
    (re.compile(r"\b\d+ tokens/s\b"), "N tokens/s"),
    (re.compile(r"\b\d+(\.\d+)? GFLOP/s\b"), "N GFLOP/s"),
    (re.compile(r"\b\d+(\.\d+)? MB/s\b"), "N MB/s"),
]
BLOCK_TIMEOUT = 300  # seconds
BLOCK_ENVIRONMENT = {"OMP_NUM_THREADS": "1", "OMPI_ALLOW_RUN_AS_ROOT": "1",
                     "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "OMPI_MCA_rmaps_base_oversubscribe": "1"}
NUMBER = re.compile(r"\d[\d,]*(\.\d+)?(e[-+]?\d+)?")


def normalized(line, numbers_vary=False):
    line = line.rstrip()
    for pattern, replacement in MASKS:
        line = pattern.sub(replacement, line)
    return NUMBER.sub("N", line) if numbers_vary else line


def shows(wanted, line):
    """Whether `line` shows `wanted`, where `...` in `wanted` stands for any text."""
    position = 0
    for piece in (p.strip() for p in wanted.split("...")):
        found = line.find(piece, position)
        if found < 0:
            return False
        position = found + len(piece)
    return True


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
        kind = "run" if mark.group(1).startswith("run") else "output"
        found.append((start, kind, int(mark.group(2) or 0), bool(mark.group(3)), "\n".join(body)))
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


def run_block(text, repo):
    """(exit status or None when it timed out, output) of one block; whatever the block left
    running (a background run) is killed with it."""
    with tempfile.TemporaryFile(mode="w+") as log:
        block = subprocess.Popen(["bash", "-e", "-o", "pipefail", "-c", text], cwd=repo,
                                 stdout=log, stderr=subprocess.STDOUT, text=True,
                                 env=dict(os.environ, **BLOCK_ENVIRONMENT),
                                 start_new_session=True)
        try:
            returncode = block.wait(timeout=BLOCK_TIMEOUT)
        except subprocess.TimeoutExpired:
            returncode = None
        try:
            os.killpg(block.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        block.wait()
        log.seek(0)
        return returncode, log.read()


def fail(where, message, output):
    print(f"FAIL {where}: {message}\n--- output (last 20 lines) ---")
    print("\n".join(output.splitlines()[-20:]))


def check_page(page, source, build):
    failures = 0
    output = None
    with tempfile.TemporaryDirectory(prefix="tf-docs.") as scratch:
        repo = sandbox(source, build, scratch)
        for line, kind, expected_exit, numbers_vary, text in blocks(page):
            where = f"{os.path.relpath(page, source)}:{line}"
            if kind == "run":
                returncode, output = run_block(text, repo)
                if returncode is None:
                    fail(where, f"still running after {BLOCK_TIMEOUT} s\n{text}", output)
                    failures += 1
                elif returncode != expected_exit:
                    fail(where, f"exited {returncode}, the page says {expected_exit}\n{text}",
                         output)
                    failures += 1
                else:
                    print(f"ok   {where}: ran, exit {expected_exit}")
                continue
            if output is None:
                print(f"FAIL {where}: an output block before any run block")
                failures += 1
                continue
            actual = [normalized(l, numbers_vary) for l in output.splitlines()]
            position = 0
            for wanted in text.splitlines():
                want = normalized(wanted, numbers_vary)
                if want.strip() == "...":
                    continue
                while position < len(actual) and not shows(want, actual[position]):
                    position += 1
                if position == len(actual):
                    fail(where, f"the output has no line (after the ones before) with\n  {want}",
                         output)
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
