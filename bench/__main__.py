"""``make bench``: run every benchmark in this folder."""
import importlib
import sys

BENCHES = ["bench.bus", "bench.export", "bench.latency", "bench.http"]

if __name__ == "__main__":
    names = sys.argv[1:] or BENCHES
    for name in names:
        importlib.import_module(name).main()
