"""`manage.py agent_reply THREAD_ID TEXT`: an agent answers a thread, through the emulator's API.

For the demo and for trying the webhooks out: the reply is made by a human agent of the emulator
(created with its control API) calling Plain's GraphQL API, exactly as an agent's reply in Plain
would be, so it reaches the portal the way Plain's would: as a signed webhook, applied by the
worker, with no page viewed. Over real Plain there is no control API: the command refuses.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal import plain
from portal.demo.management.commands.seed_demo import _agent_client

AGENT_NAME = "Sam Rivera"


class Command(BaseCommand):
    help = "Reply to a thread as a human agent of the emulator (embedded or standalone)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("thread_id", help="the thread's Plain id (th_...)")
        parser.add_argument("text", help="the agent's message")

    def handle(self, *args: Any, **options: Any) -> None:
        control = plain.get_emulator_control()
        if control is None:
            raise CommandError("agent_reply needs the emulator's control API: not over real Plain")
        try:
            found = plain.get_plain_client().thread(thread_id=options["thread_id"], last=1)
            if found is None:
                raise CommandError(f"no thread {options['thread_id']!r} in the emulator")
            key = control.add_agent(full_name=AGENT_NAME, public_name="Sam")
        finally:
            control.close()
        agent = _agent_client(key)
        try:
            agent.send_chat(
                customer_id=found.thread.customer.id,
                thread_id=found.thread.id,
                text=options["text"],
            )
        finally:
            agent.close()
        self.stdout.write(
            self.style.SUCCESS(
                f"{AGENT_NAME} replied on {found.thread.id}; the emulator delivers the webhook "
                "to the portal's inbox (Admin → Plain webhooks → Inbox events)."
            )
        )
