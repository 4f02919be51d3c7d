"""The pipes' framing: one JSON object per line; anything else is an error, never data."""

import os
import threading

import pytest

from autograder.sandbox.channel import Channel, Closed, Garbled, Timeout


def never():
    return None


@pytest.fixture
def pipe():
    """(the grader's channel, the child's write end)"""
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()
    channel = Channel(to_child_w, from_child_r)
    yield channel, from_child_w, to_child_r
    channel.close()
    for fd in (from_child_w, to_child_r):
        try:
            os.close(fd)
        except OSError:
            pass


def test_messages_cross_one_per_line(pipe):
    channel, child_w, child_r = pipe
    os.write(child_w, b'{"event": "ready"}\n{"ok": 1}\n')
    assert channel.receive(never, lambda: False) == {"event": "ready"}
    assert channel.receive(never, lambda: False) == {"ok": 1}
    channel.send({"probe": "x", "kwargs": {}})
    assert os.read(child_r, 100) == b'{"probe": "x", "kwargs": {}}\n'


@pytest.mark.parametrize("data", [b"not json\n", b"[1, 2]\n", b"\xff\xfe\n", b"[" * 10000 + b"\n"])
def test_garbage_is_an_error(pipe, data):
    channel, child_w, _ = pipe
    os.write(child_w, data)
    with pytest.raises(Garbled):
        channel.receive(never, lambda: False)


def test_an_oversized_message_is_an_error_before_it_ends(pipe, monkeypatch):
    from autograder.sandbox import channel as framing

    monkeypatch.setattr(framing, "MAX_LINE", 4 << 20)  # the same rule, with less data to pipe through
    channel, child_w, _ = pipe

    def flood() -> None:  # more than any message may be, and no newline
        try:
            for _ in range((4 << 20) // (1 << 20) + 2):
                os.write(child_w, b"x" * (1 << 20))
        except OSError:
            pass

    writer = threading.Thread(target=flood, daemon=True)
    writer.start()
    with pytest.raises(Garbled, match="oversized"):
        channel.receive(never, lambda: False)
    channel.close()  # the writer's next write fails: it ends
    writer.join(30)


def test_silence_and_a_closed_pipe(pipe):
    channel, child_w, _ = pipe
    with pytest.raises(Timeout, match="a minute of CPU"):
        channel.receive(lambda: "a minute of CPU", lambda: False)
    with pytest.raises(Closed):
        channel.receive(never, lambda: True)  # the process has exited
    assert not channel.unasked()
    os.write(child_w, b'{"forged": 1}\n')
    assert channel.unasked()
    os.close(child_w)
