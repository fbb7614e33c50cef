"""`python -m bench._scraper URL SECONDS`: GET URL/metrics every SECONDS as Prometheus does.

Same Accept and Accept-Encoding as Prometheus 2.42 (OpenMetrics preferred, gzip);
the body is read whole and dropped. It prints `first` after the first scrape; on
SIGTERM one JSON line: how many scrapes, and their durations (seconds, sorted).
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
import urllib.request

from bench._support import PROMETHEUS_ACCEPT


def main() -> None:
    url, interval = sys.argv[1] + "/metrics", float(sys.argv[2])
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    durations: list[float] = []
    sizes: list[int] = []
    request = urllib.request.Request(
        url, headers={"Accept": PROMETHEUS_ACCEPT, "Accept-Encoding": "gzip"}
    )
    next_at = time.monotonic()
    while not stop.is_set():
        started = time.monotonic()
        with urllib.request.urlopen(request, timeout=60) as answer:
            sizes.append(len(answer.read()))
        durations.append(time.monotonic() - started)
        if len(durations) == 1:
            print("first", flush=True)  # the service has rendered every obligation once
        next_at += interval
        stop.wait(max(0.0, next_at - time.monotonic()))
    durations.sort()
    print(json.dumps({"scrapes": len(durations), "durations": durations, "bytes": sizes}))


if __name__ == "__main__":
    main()
