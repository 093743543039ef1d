"""The lesson's multi-process server: a process per client (os.fork)."""

import os
import signal
import sys

from lesson_tasks import log_to, parse_args
from server import listen, serve_client

children: set[int] = set()


def reap(*_) -> None:
    """SIGCHLD: collect every finished child, so none is left a zombie."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)


def stop(*_) -> None:
    """SIGTERM: end the children too (a stopped server leaves no process behind), then exit."""
    for pid in list(children):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    sys.exit(0)


def main() -> None:
    args = parse_args("multi-process (a process per client)")
    log = log_to(args.quiet)
    # Handlers before the listening line is printed (see server.py).
    signal.signal(signal.SIGCHLD, reap)
    signal.signal(signal.SIGTERM, stop)
    server_socket = listen(args)
    try:
        while True:
            log("Waiting for a client to connect...")
            try:
                conn, addr = server_socket.accept()
            except InterruptedError:  # SIGCHLD during accept (PEP 475 retries, but be explicit)
                continue
            log(f"TCP connection established with {addr}")
            # Hold SIGCHLD across fork and bookkeeping: a child that ends at once must not be reaped
            # before its pid is in `children` (it would stay there forever).
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
            pid = os.fork()
            if pid == 0:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})  # the child: serve this one client, then exit
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                server_socket.close()
                serve_client(conn, addr, log)
                os._exit(0)
            children.add(pid)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
            conn.close()  # the parent's copy: the child owns the connection
    except KeyboardInterrupt:
        pass
    finally:
        server_socket.close()


if __name__ == "__main__":
    sys.exit(main())
