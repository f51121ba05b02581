"""Start a TVM RPC tracker and rpc_servers on this host, to try the farm flow without boards.

    python tools/tvm_local_farm.py --port 9190 --keys rpi5 host

Each key gets one rpc_server registered with the tracker (a server on this host runs
host code: use a catalog entry with a host target, or real boards for aarch64). Ctrl-C
stops the servers and the tracker together with their popen_worker children, by PID.
On real boards run the commands printed at start instead (see docs/profilers.md). TVM RPC
has no authentication: anyone who reaches a tracker or server port can run code on it, so
the default here is 127.0.0.1; pass `--host` a LAN address only behind a firewall.
"""

from __future__ import annotations

import argparse
import signal
import time

from hwnas.profilers import start_server, start_tracker
from hwnas.profilers._tvm_rpc import wait_for_key, wait_listening


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9190, help="tracker port")
    parser.add_argument("--keys", nargs="+", default=["host"], help="one rpc_server per device key")
    args = parser.parse_args()

    tracker = start_tracker(args.host, args.port, wait=False)
    servers = [
        start_server(args.host, args.port, key, host=args.host, wait=False) for key in args.keys
    ]
    try:
        wait_listening(tracker)
        for server in servers:
            wait_listening(server)
        for key in args.keys:
            wait_for_key(args.host, args.port, key)
        print(f"tracker {args.host}:{args.port} (pid {tracker.pid}, log {tracker.log_path})")
        for key, server in zip(args.keys, servers, strict=True):
            print(
                f"  key {key!r}: rpc_server {server.host}:{server.port} (pid {server.pid}, log {server.log_path})"
            )
        print(
            "on a real board: python -m tvm.exec.rpc_server --host <board LAN address> "
            f"--port 9090 --tracker <this host>:{args.port} --key <device key>"
        )
        print(
            "TVM RPC has no authentication: bind LAN addresses behind a firewall, or 127.0.0.1 "
            "with SSH tunnels (docs/profilers.md), never 0.0.0.0 on a shared network"
        )
        print("Ctrl-C stops everything")
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        for server in servers:
            server.stop()
        tracker.stop()


if __name__ == "__main__":
    main()
