#!/usr/bin/env python3
"""What `rlmq serve` adds to a session: wall time of an answered request, as
a client sees it, minus the session's own time (the `rlmq.elapsed_ms` the
server reports), over repeated requests against the scripted model server.

Usage: benches/serve_latency.py [--runs 50] [--kb 64] [--bin target/release]
Needs the release binaries (cargo build --release --bins). Prints medians.
Only the standard library: requests are plain HTTP on 127.0.0.1.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

RULES = {
    "api_key": "bench-key",
    "rules": [
        {"name": "found", "model": "mock-root", "when": "FOUND (\\d+)",
         "reply": {"template": "Done.\n\n```rlq\nfinal(\"The magic number is $1\")\n```"}},
        {"name": "look", "model": "mock-root", "when": "Question:",
         "reply": {"text": "Search.\n\n```rlq\nlet hits = grep(context, re\"magic number is (\\d+)\")\nprint(\"FOUND\", hits[0].groups[0])\n```"}},
    ],
}


def start(cmd, env, prefix):
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env, text=True)
    line = p.stdout.readline().strip()
    if not line.startswith(prefix):
        sys.exit(f"unexpected first line from {cmd[0]}: {line!r}")
    return p, line[len(prefix):]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--kb", type=int, default=64, help="size of each request's document")
    ap.add_argument("--bin", default="target/release")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp()
    rules = os.path.join(tmp, "rules.json")
    with open(rules, "w") as f:
        json.dump(RULES, f)
    env = dict(os.environ, OPENAI_API_KEY="bench-key")
    env.pop("OPENAI_BASE_URL", None)
    mock, mock_url = start([f"{a.bin}/rlmq-mock", rules], env, "OPENAI_BASE_URL=")
    with open(os.path.join(tmp, "rlmq.toml"), "w") as f:
        f.write(f'provider = "openai"\nbase_url = "{mock_url}"\nroot_model = "mock-root"\nsub_model = "mock-root"\n')
    server, url = start(
        [f"{a.bin}/rlmq", "serve", "--port", "0", "--config", os.path.join(tmp, "rlmq.toml"), "--no-cache",
         "--passthrough-chars", "0"],
        env, "rlmq serve: listening on ")
    try:
        # Two halves of filler around the number: a document of about --kb KiB.
        filler = "".join(f"line {i}: nothing to see here.\n" for i in range(a.kb * 1024 // 60))
        walls, sessions = [], []
        for i in range(a.runs + 3):
            body = json.dumps({"model": "rlm:mock-root", "messages": [{"role": "user", "content":
                   f"{filler}the magic number is {i}\n{filler}\n\nWhat is the magic number?"}]}).encode()
            req = urllib.request.Request(f"{url}/chat/completions", body, {"content-type": "application/json"})
            t = time.perf_counter()
            with urllib.request.urlopen(req) as r:
                reply = json.load(r)
            wall = (time.perf_counter() - t) * 1000
            assert reply["choices"][0]["message"]["content"] == f"The magic number is {i}", reply
            if i >= 3:  # warm-up
                walls.append(wall)
                sessions.append(reply["rlmq"]["elapsed_ms"])
        added = [w - s for w, s in zip(walls, sessions)]
        print(f"{a.runs} requests, {a.kb} KiB document each, 2 root turns per session")
        print(f"median wall time of a request:  {statistics.median(walls):8.2f} ms")
        print(f"median time of its session:     {statistics.median(sessions):8.2f} ms")
        print(f"median added by rlmq serve:     {statistics.median(added):8.2f} ms")
    finally:
        server.terminate()
        mock.terminate()

if __name__ == "__main__":
    main()
