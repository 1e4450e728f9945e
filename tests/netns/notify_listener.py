#!/usr/bin/env python3
"""The service manager's end of the notification protocol (sd_notify), for scenarios.

Usage: notify_listener.py SOCKET OUT [--on-ready COMMAND]

Binds SOCKET (a path, or @NAME for an abstract socket, as NOTIFY_SOCKET writes them) and
appends every datagram to OUT as one line: "MONOTONIC_USEC MESSAGE", the message's line
breaks shown as " | ". The first line, "LISTENING", says the socket exists. With
--on-ready, COMMAND runs (sh -c) as soon as the first READY=1 arrives, before the next
datagram is read, and "ON-READY STATUS" records its exit status: a check of the daemon's
state at the moment it declared itself ready.
"""
import os
import socket
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    on_ready = None
    if "--on-ready" in args:
        i = args.index("--on-ready")
        on_ready = args[i + 1]
        del args[i : i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    name, out_path = args
    address = "\0" + name[1:] if name.startswith("@") else name
    if not name.startswith("@") and os.path.exists(name):
        os.unlink(name)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(address)
    with open(out_path, "a", buffering=1) as out:
        out.write("LISTENING\n")
        ready_seen = False
        while True:
            message = s.recv(65536).decode(errors="replace")
            usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
            out.write(f"{usec} {message.rstrip(chr(10)).replace(chr(10), ' | ')}\n")
            if on_ready and not ready_seen and "READY=1" in message.split("\n"):
                ready_seen = True
                status = subprocess.run(["sh", "-c", on_ready]).returncode
                out.write(f"ON-READY {status}\n")


if __name__ == "__main__":
    main()
