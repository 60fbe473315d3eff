"""An email backend whose SMTP server is down for the next `FlakyBackend.down_for` sends."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.locmem import EmailBackend


class FlakyBackend(EmailBackend):
    down_for = 0

    def send_messages(self, messages: Sequence[Any]) -> int:
        if FlakyBackend.down_for > 0:
            FlakyBackend.down_for -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)
