"""What the lesson's servers share: the task catalogue and the command line.

The lesson (CS331 Tutorial 1) shows the server loop but not `process_task`; the
catalogue below is the one socketlab's loadgen speaks to lesson-style servers
(`--protocol raw`): lower-case words, free-text replies, `exit` -> `Goodbye!`.
"""

import argparse
import time

GOODBYE = "Goodbye!"


def fib(n: int) -> int:
    # Deliberately the naive recursion: a CPU-bound task, as in socketlab's FIB.
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def process_task(data: str) -> str:
    """One task string in, one reply string out (the lesson's process_task)."""
    words = data.strip().split()
    if not words:
        return "Error: empty task"
    task, args = words[0].lower(), words[1:]
    try:
        if task == "exit" and not args:
            return GOODBYE
        if task == "sleep" and len(args) == 1:
            ms = int(args[0])
            if not 0 <= ms <= 600_000:
                return "Error: sleep takes 0..600000 ms"
            time.sleep(ms / 1000)  # blocking, like the lesson's time.sleep
            return f"Slept {ms} ms"
        if task == "fib" and len(args) == 1:
            n = int(args[0])
            if not 0 <= n <= 40:
                return "Error: fib takes 0..40"
            return f"fib({n}) = {fib(n)}"
    except ValueError:
        return f"Error: bad argument in {data.strip()!r}"
    return f"Error: unknown task {data.strip()!r}"


def parse_args(design: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=f"The lesson's {design} task server (Python, standard library only).")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on; 0 picks a free one (default: 0)")
    parser.add_argument("--backlog", type=int, default=100, help="listen backlog (default: 100, the lesson's)")
    parser.add_argument("--quiet", action="store_true", help="no per-client log lines (the start line is always printed)")
    return parser.parse_args()


def log_to(quiet: bool):
    """print, flushed (a pipe would otherwise hold the lines), or nothing."""
    if quiet:
        return lambda *_: None
    return lambda message: print(message, flush=True)
