"""Who is online in each chat room, shared by the server processes of one deployment (Redis).

Each process holds its own sockets (realtime/presence.py) and says, for every person and room
where it has at least one, "online here until <now + TTL>": a member `<user id>:<process>` of a
sorted set per room, scored by that expiry. A person is online in a room while any process's
entry for them is unexpired. Every process renews its entries each TTL/3 seconds and sweeps the
expired ones: the people of a process that died (kill -9, a lost machine) go offline everywhere
within CHAT_PRESENCE_TTL seconds plus one sweep, announced by whichever process removed the
last entry. Keys are named after the deployment's channel (SOCKETIO_CHANNEL).

Under gevent every call here may yield: callers hold no database connection meanwhile.
"""
from __future__ import annotations

import logging
import secrets
import time

log = logging.getLogger(__name__)


class Roster:
    def __init__(self, url: str, channel: str, ttl: float) -> None:
        import redis
        self.redis = redis.Redis.from_url(url)
        self.prefix = f"{channel}:presence"
        self.ttl = ttl
        self.process = secrets.token_hex(6)  # this process's entries

    def _room_key(self, room_id: int) -> str:
        return f"{self.prefix}:room:{room_id}"

    def _others_online(self, room_id: int, user_id: int, now: float) -> bool:
        members = self.redis.zrangebyscore(self._room_key(room_id), now, "+inf")
        mine = f"{user_id}:{self.process}".encode()
        return any(m.split(b":", 1)[0] == str(user_id).encode() and m != mine for m in members)

    def arrive(self, room_id: int, user_id: int, name: str) -> bool:
        """This process now has the person in the room. True when they were online nowhere."""
        now = time.time()
        elsewhere = self._others_online(room_id, user_id, now)
        pipe = self.redis.pipeline()
        pipe.zadd(self._room_key(room_id), {f"{user_id}:{self.process}": now + self.ttl})
        pipe.hset(f"{self.prefix}:names", str(user_id), name)
        pipe.sadd(f"{self.prefix}:rooms", room_id)
        pipe.execute()
        return not elsewhere

    def depart(self, room_id: int, user_id: int) -> bool:
        """This process no longer has the person in the room. True when they are online
        nowhere now."""
        removed = self.redis.zrem(self._room_key(room_id), f"{user_id}:{self.process}")
        return bool(removed) and not self._others_online(room_id, user_id, time.time())

    def online(self, room_id: int) -> list[dict]:
        members = self.redis.zrangebyscore(self._room_key(room_id), time.time(), "+inf")
        ids = sorted({int(m.split(b":", 1)[0]) for m in members})
        if not ids:
            return []
        names = self.redis.hmget(f"{self.prefix}:names", [str(i) for i in ids])
        return [{"id": i, "name": (n or b"").decode()} for i, n in zip(ids, names, strict=True)]

    def renew(self, entries: list[tuple[int, int]]) -> None:
        """Push back the expiry of this process's (room, user) entries."""
        if not entries:
            return
        expiry = time.time() + self.ttl
        pipe = self.redis.pipeline()
        for room_id, user_id in entries:
            pipe.zadd(self._room_key(room_id), {f"{user_id}:{self.process}": expiry})
            pipe.sadd(f"{self.prefix}:rooms", room_id)
        pipe.execute()

    def sweep(self) -> list[tuple[int, int, str]]:
        """Remove expired entries; returns (room, user, name) for the people who went offline
        everywhere because of it (each announced by one process: the one whose ZREM took it)."""
        now, gone = time.time(), []
        for raw_room in self.redis.smembers(f"{self.prefix}:rooms"):
            room_id = int(raw_room)
            key = self._room_key(room_id)
            for member in self.redis.zrangebyscore(key, "-inf", now):
                if self.redis.zrem(key, member) != 1:
                    continue  # another process swept it first
                user_id = int(member.split(b":", 1)[0])
                if not self._others_online(room_id, user_id, now):
                    name = self.redis.hget(f"{self.prefix}:names", str(user_id)) or b""
                    gone.append((room_id, user_id, name.decode()))
            if not self.redis.zcard(key):
                self.redis.srem(f"{self.prefix}:rooms", room_id)
        return gone
