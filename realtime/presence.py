"""Who has which chat room open: this process's sockets, and who is online in a room.

sid -> (user id, name, login id) and the rooms it joined; room -> user -> sids. One lock around
every change (threads under Werkzeug; under gevent it never blocks: nothing yields inside it).
With several processes (a Redis queue), who is online is shared through a `Roster`
(realtime/roster.py): "came online" and "went offline" then mean in any process.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Socket:
    user_id: int
    name: str
    login_id: str | None  # the login session the socket belongs to (logout closes only those)


class Presence:
    def __init__(self, roster=None):
        self.roster = roster  # realtime.roster.Roster with several processes, else None
        self._lock = threading.Lock()
        self._sockets: dict[str, Socket] = {}
        self._rooms_of: dict[str, set[int]] = {}
        self._sids_in: dict[int, dict[int, set[str]]] = {}

    def connect(self, sid: str, socket: Socket) -> None:
        with self._lock:
            self._sockets[sid] = socket
            self._rooms_of[sid] = set()

    def socket(self, sid: str) -> Socket | None:
        return self._sockets.get(sid)

    def joined(self, sid: str, room_id: int) -> bool:
        with self._lock:
            return room_id in self._rooms_of.get(sid, ())

    def enter(self, sid: str, room_id: int) -> bool:
        """Whether the person just came online in the room."""
        with self._lock:
            socket = self._sockets.get(sid)
            if socket is None:
                return False
            self._rooms_of[sid].add(room_id)
            sids = self._sids_in.setdefault(room_id, {}).setdefault(socket.user_id, set())
            first = not sids
            sids.add(sid)
        if first and self.roster is not None:
            return self.roster.arrive(room_id, socket.user_id, socket.name)
        return first

    def exit(self, sid: str, room_id: int) -> bool:
        """Whether the person just went offline in the room."""
        with self._lock:
            socket = self._sockets.get(sid)
            last = self._exit(sid, room_id)
        return self._gone_everywhere(room_id, socket, last)

    def _gone_everywhere(self, room_id: int, socket: Socket | None, last_here: bool) -> bool:
        if not last_here or socket is None or self.roster is None:
            return last_here
        return self.roster.depart(room_id, socket.user_id)

    def _exit(self, sid: str, room_id: int) -> bool:
        socket = self._sockets.get(sid)
        if socket is None:
            return False
        self._rooms_of.get(sid, set()).discard(room_id)
        people = self._sids_in.get(room_id, {})
        sids = people.get(socket.user_id)
        if not sids or sid not in sids:
            return False
        sids.discard(sid)
        if sids:
            return False
        del people[socket.user_id]
        if not people:
            self._sids_in.pop(room_id, None)
        return True

    def disconnect(self, sid: str) -> tuple[Socket | None, list[int]]:
        """The socket's person and the rooms where they just went offline."""
        with self._lock:
            socket = self._sockets.get(sid)
            left = [room_id for room_id in list(self._rooms_of.get(sid, ()))
                    if self._exit(sid, room_id)]
            self._rooms_of.pop(sid, None)
            self._sockets.pop(sid, None)
        return socket, [room_id for room_id in left
                        if self._gone_everywhere(room_id, socket, True)]

    def entries(self) -> list[tuple[int, int]]:
        """(room, user) for every person this process has in a room (the roster's renewals)."""
        with self._lock:
            return [(room_id, user_id) for room_id, people in self._sids_in.items()
                    for user_id in people]

    def online(self, room_id: int) -> list[dict]:
        if self.roster is not None:
            return self.roster.online(room_id)
        with self._lock:
            names = {}
            for user_id, sids in self._sids_in.get(room_id, {}).items():
                socket = next((self._sockets[s] for s in sids if s in self._sockets), None)
                if socket is not None:
                    names[user_id] = socket.name
        return [{"id": uid, "name": name} for uid, name in sorted(names.items())]

    def sids_of(self, user_id: int, login_id: str | None = None) -> list[str]:
        """This person's sockets (of one login session, when given)."""
        with self._lock:
            return [sid for sid, s in self._sockets.items() if s.user_id == user_id
                    and (login_id is None or s.login_id == login_id)]
