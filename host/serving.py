"""The life of a served simulator (`cushion sim`, and `cushion sim --chip` in hal_emu/serve.py):
listen where it serves, print where that is, serve until SIGINT or SIGTERM, then close."""

import signal
import socket


def listen_on(host, port):
    """A non-blocking listening TCP socket and its address as a URL shows it (HOST:PORT)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    lst = socket.socket(family, socket.SOCK_STREAM)
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind((host, port))
    lst.listen(8)
    lst.setblocking(False)
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    return lst, f"{shown}:{lst.getsockname()[1]}"


class _Stop(Exception):
    pass


def serve_until_signal(urls, out, step, close):
    """Print each URL on its own line (flushed, so a parent process can read them), call
    `step()` until SIGINT or SIGTERM, then put the old handlers back and call `close()`.

    The handlers go in before the URLs are printed: a parent that reads a URL may signal at
    once."""
    def stop(signum, frame):
        raise _Stop()
    old = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for url in urls:
            out.write(url + "\n")
        out.flush()
        while True:
            step()
    except _Stop:
        pass
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        close()
