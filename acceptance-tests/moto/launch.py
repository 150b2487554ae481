"""Start moto (IAM and STS) on 127.0.0.1 and print its URL.

Usage: launch.py [--port N]   (0, the default, lets the OS pick a free port)

Prints exactly one line, http://127.0.0.1:PORT, once the server accepts connections, then serves
until it receives SIGTERM or SIGINT (Ctrl-C), or until its standard input is closed when that
input is one that can be closed on purpose:

- a pipe or a socket: the test harness holds the other end, so moto never outlives the test
  process that started it;
- the terminal it runs in the foreground of: Ctrl-D stops it.

Any other standard input (/dev/null, a file, a terminal it runs in the background of, none at
all, as with `&`, `nohup` or `</dev/null`) is ignored: moto serves until it is killed.
"""

import argparse
import os
import signal
import stat
import sys
import threading

from moto.server import ThreadedMotoServer


def stdin_can_end_the_server() -> bool:
    """Whether the end of standard input means "stop": see the module's docstring."""
    try:
        fd = sys.stdin.fileno()
        mode = os.fstat(fd).st_mode
    except (AttributeError, OSError, ValueError):
        return False
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        return True
    if os.isatty(fd):
        try:
            # Reading the terminal from the background would stop the whole process (SIGTTIN).
            return os.tcgetpgrp(fd) == os.getpgrp()
        except OSError:
            return False
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    print(f"http://{host}:{port}", flush=True)

    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())

    if stdin_can_end_the_server():

        def watch_stdin() -> None:
            try:
                sys.stdin.read()
            except (OSError, ValueError):
                return
            stopped.set()

        threading.Thread(target=watch_stdin, daemon=True).start()

    # A timeout keeps the main thread where Python runs signal handlers promptly.
    while not stopped.wait(1.0):
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
