"""The lesson's single-process iterative server: one client at a time, the rest wait in the backlog."""

import signal
import socket
import sys

from lesson_tasks import GOODBYE, log_to, parse_args, process_task


def serve_client(conn: socket.socket, addr, log) -> None:
    """The lesson's inner loop: recv(1024), process, sendall, until `Goodbye!` or EOF."""
    with conn:
        while True:
            try:
                data = conn.recv(1024).decode()
                if not data:
                    log(f"Client {addr} disconnected.")
                    break
                log(f"Received task from {addr}: {data}")
                response = process_task(data)
                conn.sendall(response.encode())
                if response == GOODBYE:
                    log(f"Closing connection with {addr}")
                    break
            except Exception as e:  # the lesson's catch-all: log, drop this client, keep serving
                log(f"Error handling client {addr}: {e}")
                break


def listen(args) -> socket.socket:
    server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server_socket.bind((args.host, args.port))
    server_socket.listen(args.backlog)
    host, port = server_socket.getsockname()[:2]
    print(f"Server is running on {host}:{port}...", flush=True)
    return server_socket


def main() -> None:
    args = parse_args("single-process iterative")
    log = log_to(args.quiet)
    # The handler goes in before the listening line is printed: a SIGTERM sent as soon as that line is
    # read must mean "stop cleanly", not the default "die by the signal".
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server_socket = listen(args)
    try:
        while True:
            log("Waiting for a client to connect...")
            conn, addr = server_socket.accept()
            log(f"TCP connection established with {addr}")
            serve_client(conn, addr, log)
    except KeyboardInterrupt:
        pass
    finally:
        server_socket.close()


if __name__ == "__main__":
    sys.exit(main())
