"""`python -m bench [NAME ...]`: run every benchmark script in bench/ (or the named ones), one process each.

Each script runs with the repository root on PYTHONPATH; its output is streamed as it comes. The exit
status is non-zero if any benchmark failed or timed out.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent


def scripts(names: list[str]) -> list[pathlib.Path]:
    found = sorted(p for p in HERE.glob("*.py") if not p.name.startswith("_"))
    if names:
        found = [p for p in found if p.stem in names]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benchmark names (file stems); default: all")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per benchmark")
    args = parser.parse_args(argv)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(HERE.parent),
                                                                    os.environ.get("PYTHONPATH")])))
    todo = scripts(args.names)
    failed = []
    for index, script in enumerate(todo, 1):
        print(f"== [{index}/{len(todo)}] {script.stem}", flush=True)
        start = time.monotonic()
        try:
            code = subprocess.run([sys.executable, str(script)], env=env, cwd=HERE.parent,
                                  timeout=args.timeout).returncode
        except subprocess.TimeoutExpired:
            code = "timeout"
        print(f"== {script.stem}: {'ok' if code == 0 else f'FAILED ({code})'} in "
              f"{time.monotonic() - start:.1f} s", flush=True)
        if code != 0:
            failed.append(script.stem)
    print(f"== {len(todo) - len(failed)} of {len(todo)} benchmarks ok" +
          (f"; failed: {', '.join(failed)}" if failed else ""), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
