"""The one websocket endpoint: ``/ws/events/?topics=plots,labels``."""

import asyncio
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from apps.core.events import TOPICS, group_name, register_server_loop


class EventConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        register_server_loop(asyncio.get_running_loop())
        user = self.scope.get("user")
        if not settings.OPEN_ACCESS and not (user and user.is_authenticated):
            await self.close(code=4401)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode())
        wanted = {t for value in query.get("topics", []) for t in value.split(",") if t}
        self.topics = sorted(wanted & set(TOPICS)) or ["plots"]
        for topic in self.topics:
            await self.channel_layer.group_add(group_name(topic), self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "payload": {"topics": self.topics}})

    async def disconnect(self, code):
        for topic in getattr(self, "topics", []):
            await self.channel_layer.group_discard(group_name(topic), self.channel_name)

    async def hydra_event(self, message):
        event = {"type": message["event"], "payload": message["payload"]}
        if "seq" in message:
            event.update(source=message["source"], seq=message["seq"])
        await self.send_json(event)
