"""The echo benchmark's markdown tables, from the JSON lines of tests/bench/run.sh: medians
per scenario and label, and ratios.

    table.py servers RUNS.jsonl ROUNDS SECONDS   servers under echo_load, against the ceiling
    table.py clients RUNS.jsonl ROUNDS SECONDS   our client (echo_client) against echo_load
    table.py idle IDLE.jsonl                     resident memory per idle connection (echo_idle)
"""
import json
import os
import platform
import statistics
import sys

mode, path = sys.argv[1:3]
rounds, seconds = (sys.argv[3:5] + ["", ""])[:2]
runs = [json.loads(l) for l in open(path) if l.strip()]

if mode == "idle":
    names = {"ours": "ours", "volo": "volo-thrift", "apache": "Apache C++"}
    cells = [f"{names.get(r['label'], r['label'])} {r['kib_per_connection']:.2f} KiB"
             + (" (errors)" if r["errors"] else "") for r in runs]
    n = runs[0]["connections"] if runs else 0
    print(f"\nIdle connections ({n:,}, one small call each, then open and quiet), resident "
          f"memory per connection: {', '.join(cells)}"
          + (f" (servers run with `{os.environ['BENCH_SERVER_ENV']}`)." if os.environ.get("BENCH_SERVER_ENV") else "."))
    sys.exit(0)


def key(r):
    return (r["size"], r["connections"], r["in_flight"])


scenarios = []
for r in runs:
    if key(r) not in scenarios:
        scenarios.append(key(r))


def med(label, k, field):
    values = [r[field] for r in runs if r["label"] == label and key(r) == k]
    return statistics.median(values) if values else None


def fmt(v, spec=",.0f"):
    return "-" if v is None else format(v, spec)


def ratio(a, b):
    return f"{a / b:.2f}x" if a and b else "-"


cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
machine = f"({os.cpu_count()} CPUs, {cpu})"
if os.environ.get("BENCH_SERVER_ENV"):
    machine += f"; every server run with `{os.environ['BENCH_SERVER_ENV']}`"

if mode == "servers":
    print(f"Echo benchmark, framed binary, {rounds} interleaved rounds of {seconds} s, "
          f"medians; server on CPU 0, load on CPU 1 {machine}.\n")
    print("ours: `String` fields (the code generator's default); shared: `shared_strings(true)`, "
          "short strings inline and long ones sharing the request's buffer, as volo-thrift's `FastStr` do.\n")
    print("| scenario | ours calls/s | shared | volo | Apache C++ | ceiling | ours / volo | shared / volo "
          "| ours / Apache | ours / ceiling | p50 µs ours / shared / volo | p99 µs ours / shared / volo / Apache "
          "| errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for k in scenarios:
        rate = {l: med(l, k, "calls_per_sec") for l in ("ours", "shared", "volo", "apache", "ceiling")}
        p50 = {l: med(l, k, "p50_us") for l in ("ours", "shared", "volo")}
        p99 = " / ".join(fmt(med(l, k, "p99_us")) for l in ("ours", "shared", "volo", "apache"))
        errors = sum(r["errors"] for r in runs if key(r) == k)
        print(f"| {k[0]}, {k[1]}x{k[2]} | {fmt(rate['ours'])} | {fmt(rate['shared'])} | "
              f"{fmt(rate['volo'])} | {fmt(rate['apache'])} | {fmt(rate['ceiling'])} | "
              f"{ratio(rate['ours'], rate['volo'])} | {ratio(rate['shared'], rate['volo'])} | "
              f"{ratio(rate['ours'], rate['apache'])} | {ratio(rate['ours'], rate['ceiling'])} | "
              f"{fmt(p50['ours'])} / {fmt(p50['shared'])} / {fmt(p50['volo'])} | {p99} | {errors} |")
elif mode == "clients":
    clients = ("channel", "pool", "balanced", "shared")
    print(f"Client benchmark, framed binary against echo_ceiling, {rounds} interleaved rounds of "
          f"{seconds} s, medians; server on CPU 0, load on CPU 1 {machine}. hand: echo_load's "
          f"hand-written bytes; the others: the generated client over C channels, one pooled "
          f"channel, a balancer over C channels, and C channels again with the code generated "
          f"with shared_strings(true).\n")
    names = " / ".join(("hand",) + clients)
    print("| scenario | hand calls/s | " + " | ".join(clients) + " | "
          + " | ".join(f"{c} / hand" for c in clients)
          + f" | p50 µs {names} | load CPU % {names} | errors |")
    print("|---|" + "---:|" * (2 * len(clients) + 4))
    for k in scenarios:
        labels = ("hand",) + clients
        rate = {l: med(l, k, "calls_per_sec") for l in labels}
        p50 = " / ".join(fmt(med(l, k, "p50_us")) for l in labels)
        load = " / ".join(fmt(med(l, k, "cpu_percent"), ".0f") for l in labels)
        errors = sum(r["errors"] for r in runs if key(r) == k)
        rates = " | ".join(fmt(rate[c]) for c in clients)
        ratios = " | ".join(ratio(rate[c], rate["hand"]) for c in clients)
        print(f"| {k[0]}, {k[1]}x{k[2]} | {fmt(rate['hand'])} | {rates} | {ratios} | {p50} | "
              f"{load} | {errors} |")
else:
    sys.exit(f"table.py: no mode {mode!r} (servers, clients, idle)")
