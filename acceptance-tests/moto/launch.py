"""Start moto (IAM and STS) on 127.0.0.1 and print its URL.

Usage: launch.py [--port N]   (0, the default, lets the OS pick a free port)

Prints exactly one line, http://127.0.0.1:PORT, once the server accepts connections, then serves
until its standard input is closed (the harness holds the other end, so moto never outlives the
test process that started it) or it receives SIGTERM/SIGINT.
"""

import argparse
import signal
import sys

from moto.server import ThreadedMotoServer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    print(f"http://{host}:{port}", flush=True)

    def stop(*_):
        server.stop()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        sys.stdin.read()
    except (OSError, ValueError):
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
