"""The dashboard's one conversation with the cushion, in a thread of its own.

The protocol client blocks, the web server is asyncio: this thread owns the client, switches
telemetry on, passes every event to the server and carries out the commands queued for it,
one at a time, answering each with the device's reply.
"""

import queue
import threading

from ..errors import CliError, DeviceRefused

TELEMETRY_MS = 250


class Device(threading.Thread):
    def __init__(self, client, publish):
        super().__init__(name="dashboard-device", daemon=True)
        self.client = client
        self.publish = publish          # called with one dict (thread-safe on the other side)
        self.commands = queue.Queue()
        self.stopping = threading.Event()
        self.last = {}                  # latest telemetry and info, for a page that joins

    def submit(self, line, answer):
        self.commands.put((line, answer))

    def _request(self, line):
        try:
            return self.client.request(line)
        except DeviceRefused as exc:
            return exc.reply

    def run(self):
        info = dict(self.client.info or {})
        self.last["info"] = {"type": "info", "info": info, "port": self.client.port}
        self.publish(self.last["info"])
        try:
            self._request(f"telemetry on {TELEMETRY_MS}")
            while not self.stopping.is_set():
                try:
                    line, answer = self.commands.get_nowait()
                except queue.Empty:
                    pass
                else:
                    answer({"type": "reply", "request": line, "reply": self._request(line)})
                msg = self.client.next_event(0.05)
                if msg is not None:
                    out = {"type": "event", "event": msg}
                    if msg.get("event") == "telemetry":
                        self.last["telemetry"] = out
                    self.publish(out)
        except CliError as exc:
            self.publish({"type": "lost", "detail": exc.message})
        finally:
            try:
                self.client.request("telemetry off", timeout=1.0)
            except CliError:
                pass

    def stop(self):
        self.stopping.set()
        self.join(timeout=5)
