"""The grader's end of the pipes to a sandbox: one JSON object per line, each way.

Framing only: what the messages mean (cell events, probe replies) is the sandbox's business
(process.py). Nothing read here is trusted: a line that is not a JSON object, or longer than any
honest message, is an error, never data.
"""

import json
import os
import select
from typing import Callable, Optional

MAX_LINE = 32 * 1024 * 1024  # one protocol message; far above any probe's data, far below harm
POLL = 0.2  # seconds between looks at the limits while waiting


class ChannelError(Exception):
    """The other end broke the framing, went away or said nothing in time."""


class Timeout(ChannelError):
    """The caller's limit ran out first (the message says which)."""


class Closed(ChannelError):
    """The other end closed its pipe (the process ended)."""


class Garbled(ChannelError):
    """A line that is not a JSON object (or is too long to be one the child sends)."""


class Channel:
    """Requests out through `write_fd`, messages in through `read_fd`."""

    def __init__(self, write_fd: int, read_fd: int) -> None:
        self._out = os.fdopen(write_fd, "w")
        self._in = read_fd
        self._buffer = b""

    def send(self, message: dict) -> None:
        """Raises OSError (BrokenPipeError) when the other end is gone."""
        self._out.write(json.dumps(message) + "\n")
        self._out.flush()

    def receive(self, expired: Callable[[], Optional[str]], ended: Callable[[], bool], most: int = MAX_LINE) -> dict:
        """The next message, of at most `most` bytes (a reply's budget: longer is refused unread). Checked
        while waiting (every POLL seconds): `expired()`, a reason to stop waiting (raised as Timeout) or
        None; `ended()`, whether the other end's process has exited."""
        most = min(most, MAX_LINE)
        while b"\n" not in self._buffer:
            reason = expired()
            if reason:
                raise Timeout(reason)
            ready, _, _ = select.select([self._in], [], [], POLL)
            if not ready:
                if ended():
                    raise Closed()
                continue
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise Closed()
            self._buffer += chunk
            if len(self._buffer) > most:
                raise Garbled("oversized reply")
        line, _, self._buffer = self._buffer.partition(b"\n")
        if len(line) > most:
            raise Garbled("oversized reply")
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):  # garbled, not UTF-8, nested too deep
            raise Garbled("garbled reply")
        if not isinstance(message, dict):
            raise Garbled("garbled reply")
        return message

    def unasked(self) -> bool:
        """Whether data is waiting that nobody asked for (read into the buffer if so). Between probes
        the sandbox has nothing to say: such data was written by something other than its loop."""
        if self._buffer:
            return True
        try:
            if not select.select([self._in], [], [], 0)[0]:
                return False
            chunk = os.read(self._in, 1 << 20)
        except (OSError, ValueError):
            return False
        if not chunk:  # the end of the pipe: the process is gone, which the next read reports
            return False
        self._buffer += chunk
        return True

    def close(self) -> None:
        try:
            self._out.close()
        except OSError:
            pass
        try:
            os.close(self._in)
        except OSError:
            pass
