"""A small conformance check of the lesson's servers (standard library only; run: python3 -m unittest -v).

It asserts behaviour and order, never durations: the iterative server serves one client at a time
(the lesson's figures 1-4), the other two serve clients at once; every server answers the task
catalogue, ends a session with Goodbye!, survives a bad task, and leaves nothing behind on SIGTERM.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
# Generous: a reply that should come comes within this; one that must not, does not come within SHORT.
LONG = 10.0
SHORT = 0.5


class Server:
    def __init__(self, script: str):
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, script), "--port", "0", "--quiet"], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"Server is running on ([\d.]+):(\d+)\.\.\.", line)
        if not m:
            self.stop()
            raise AssertionError(f"{script}: unexpected first line {line!r}")
        self.port = int(m.group(2))

    def client(self) -> socket.socket:
        s = socket.create_connection(("127.0.0.1", self.port), timeout=LONG)
        return s

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=LONG)
        self.proc.stdout.close()
        return code


def ask(s: socket.socket, task: str) -> str:
    s.sendall(task.encode())
    return s.recv(1024).decode()


def answered_within(s: socket.socket, seconds: float) -> bool:
    s.settimeout(seconds)
    try:
        data = s.recv(1024)
        return bool(data)
    except socket.timeout:
        return False
    finally:
        s.settimeout(LONG)


def alive(pid: int) -> bool:
    """True if pid runs and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def children_of(pid: int) -> list:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid and fields[0] != "Z":
                    out.append(int(entry))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                pass
    return out


class EveryServer:
    script = ""

    def setUp(self):
        self.server = Server(self.script)

    def tearDown(self):
        self.assertEqual(self.server.stop(), 0, "SIGTERM stops the server cleanly")

    def test_catalogue_and_goodbye(self):
        with self.server.client() as c:
            self.assertEqual(ask(c, "sleep 10"), "Slept 10 ms")
            self.assertEqual(ask(c, "fib 20"), "fib(20) = 6765")
            self.assertTrue(ask(c, "jump").startswith("Error: unknown task"), "a bad task gets an error")
            self.assertEqual(ask(c, "fib 20"), "fib(20) = 6765", "and the session goes on")
            self.assertEqual(ask(c, "exit"), "Goodbye!")
            self.assertEqual(c.recv(1024), b"", "the server closes after Goodbye!")


class IterativeServer(EveryServer, unittest.TestCase):
    script = "server.py"

    def test_one_client_at_a_time(self):
        a = self.server.client()
        self.assertEqual(ask(a, "sleep 1"), "Slept 1 ms")  # figure 1: a is connected and served
        b = self.server.client()  # accepted by the kernel, waiting in the backlog
        b.sendall(b"fib 10")
        self.assertFalse(answered_within(b, SHORT), "figure 2: b waits while a is connected")
        self.assertEqual(ask(a, "exit"), "Goodbye!")
        a.close()
        self.assertEqual(b.recv(1024).decode(), "fib(10) = 55", "figure 3: b is served once a has left")
        self.assertEqual(ask(b, "exit"), "Goodbye!")
        b.close()
        with self.server.client() as c:  # figure 4: and the server still waits for more
            self.assertEqual(ask(c, "fib 5"), "fib(5) = 5")


class Concurrent:
    def test_clients_at_once(self):
        a = self.server.client()
        self.assertEqual(ask(a, "sleep 1"), "Slept 1 ms")
        with self.server.client() as b:
            self.assertEqual(ask(b, "fib 10"), "fib(10) = 55", "b is served while a is still connected")
            self.assertEqual(ask(b, "exit"), "Goodbye!")
        self.assertEqual(ask(a, "exit"), "Goodbye!")
        a.close()


class ProcessPerClientServer(EveryServer, Concurrent, unittest.TestCase):
    script = "serverMP.py"

    def test_a_process_per_client_and_none_left_behind(self):
        clients = [self.server.client() for _ in range(3)]
        for c in clients:
            self.assertEqual(ask(c, "sleep 1"), "Slept 1 ms")
        self.assertEqual(len(children_of(self.server.proc.pid)), 3, "one child process per connected client")
        kids = children_of(self.server.proc.pid)
        self.assertEqual(self.server.stop(), 0)
        deadline = time.monotonic() + LONG
        while any(alive(k) for k in kids) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual([k for k in kids if alive(k)], [], "every child was stopped with the server")
        for c in clients:
            c.close()
        self.server = Server(self.script)  # tearDown stops a fresh one


class ThreadPerClientServer(EveryServer, Concurrent, unittest.TestCase):
    script = "serverMT.py"


if __name__ == "__main__":
    unittest.main()
