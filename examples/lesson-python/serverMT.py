"""The lesson's multi-threaded server: a thread per client."""

import signal
import sys
import threading

from lesson_tasks import log_to, parse_args
from server import listen, serve_client


def main() -> None:
    args = parse_args("multi-threaded (a thread per client)")
    log = log_to(args.quiet)
    # SIGTERM ends the process, and with it every client thread (daemon threads). Set before the
    # listening line is printed, so a SIGTERM sent as soon as it is read is a clean stop (see server.py).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server_socket = listen(args)
    try:
        while True:
            log("Waiting for a client to connect...")
            conn, addr = server_socket.accept()
            log(f"TCP connection established with {addr}")
            threading.Thread(target=serve_client, args=(conn, addr, log), daemon=True).start()
    except KeyboardInterrupt:
        pass
    finally:
        server_socket.close()


if __name__ == "__main__":
    sys.exit(main())
