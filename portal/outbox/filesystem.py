"""kombu's filesystem transport with messages written atomically: the embedded default's broker.

kombu's own transport writes a message file in place, so a worker listing the folder can take
a file before its content is written, fail to decode it and stop consuming (celery/kombu#1551;
seen here as a worker that never delivered again). This one writes each message under a name
the reader skips (`.part`), then renames it into place, which is atomic on POSIX.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

__all__ = ["Transport"]


class Channel(filesystem.Channel):
    # kombu's own two base classes name the second parameter differently (message, payload).
    def _put(self, queue: Any, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Put `payload` onto `queue`: written aside, then renamed into the folder."""
        filename = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, filename)
        partial = f"{final}.part"  # not "<queue>.msg" after the first dot: the reader skips it
        try:
            with open(partial, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
