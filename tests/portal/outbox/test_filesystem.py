"""The embedded default's broker never shows a worker a message that is still being written."""

from __future__ import annotations

import os
from queue import Empty

import pytest
from kombu import Connection
from kombu.exceptions import ChannelError

from portal.celery import app
from portal.outbox import filesystem


@pytest.fixture
def channel(tmp_path):
    folder = tmp_path / "queue"
    folder.mkdir()
    with Connection(
        "portal-filesystem://",
        transport_options={"data_folder_in": str(folder), "data_folder_out": str(folder)},
    ) as connection:
        yield connection.default_channel, folder


def test_a_message_is_invisible_to_readers_until_it_is_complete(channel, monkeypatch):
    channel, folder = channel
    seen_while_writing = []
    rename = os.replace

    def replace(source, target):
        # The file is written; the reader looks before it is renamed into place.
        try:
            seen_while_writing.append(channel._get("celery"))
        except Empty:
            seen_while_writing.append(None)
        rename(source, target)

    monkeypatch.setattr(filesystem.os, "replace", replace)
    channel._put("celery", {"body": "hello"})

    assert seen_while_writing == [None]
    assert channel._get("celery") == {"body": "hello"}
    assert os.listdir(folder) == []


def test_a_folder_that_cannot_be_written_is_a_channel_error(channel, tmp_path):
    channel, _ = channel
    channel.transport_options["data_folder_out"] = str(tmp_path / "missing")
    with pytest.raises(ChannelError):
        channel._put("celery", {"body": "lost"})


def test_the_embedded_default_uses_it_and_another_url_its_own_transport():
    assert app.conf.broker_url == "portal-filesystem://"
    with app.connection_for_write() as connection:
        assert connection.get_transport_cls() is filesystem.Transport
    with Connection("redis://127.0.0.1:6379/11") as connection:
        assert connection.get_transport_cls() is not filesystem.Transport
