"""Hosts of a test's own making: network namespaces (`ip netns`), each joined by a veth pair to
a bridge in the root namespace (one small network: the bridge's address plus one per host), and
a TCP relay that makes services listening on the root namespace's loopback only (the suite's
PostgreSQL and Redis, which are not to be reconfigured) reachable at the bridge's address, as
a database server is reached by its address on the machines' network. Root only.

Names carry the test process's pid, so parallel runs do not collide; what a run killed before
its cleanup left behind (its pid gone) is removed by the next run."""
from __future__ import annotations

import asyncio
import ipaddress
import os
import random
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass

PREFIX = "maillage-"  # namespaces: maillage-<name>-<pid>
BRIDGE = "mlgbr"  # links: mlgbr<pid>, the bridge; mlg<pid>h<n>, the root ends of the veth pairs
LEFTOVER = re.compile(rf"^(?:{PREFIX}\w+-|{BRIDGE}|mlg)(\d+)(?:h\d+)?$")


def unavailable() -> str | None:
    """Why hosts cannot be made here (None: they can)."""
    if os.geteuid() != 0:
        return "needs root to make network namespaces and veth pairs (ip netns), as CI runs"
    if shutil.which("ip") is None:
        return "needs iproute2's `ip` command"
    return None


def ip(*args: str, check: bool = True) -> str:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_leftovers() -> None:
    """Namespaces and links of earlier runs whose process is gone (killed before cleaning up)."""
    names = [line.split()[0] for line in ip("netns", "list").splitlines() if line.strip()]
    links = re.findall(r"^\d+: ([^:@]+)", ip("-o", "link", "show"), re.MULTILINE)
    for name in names + links:
        found = LEFTOVER.match(name)
        if found and not _alive(int(found.group(1))):
            ip(*(("netns",) if name in names else ("link",)), "del", name, check=False)


def children(pid: int) -> set[int]:
    """The processes whose parent is `pid` (a gunicorn master's workers)."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry))
    return found


def _free_subnet() -> ipaddress.IPv4Network:
    """A /24 in 10.200.0.0/13 that no address or route of this machine overlaps."""
    used = [ipaddress.ip_interface(word).network
            for word in re.findall(r"inet (\S+)", ip("-o", "-4", "addr", "show"))]
    used += [ipaddress.ip_network(word, strict=False)
             for word in re.findall(r"^(\d+\.\d+\.\d+\.\d+(?:/\d+)?)", ip("-4", "route", "show"),
                                    re.MULTILINE)]
    rng = random.Random(os.getpid())
    for _ in range(200):
        subnet = ipaddress.ip_network(f"10.{rng.randrange(200, 208)}.{rng.randrange(256)}.0/24")
        if not any(subnet.overlaps(other) for other in used):
            return subnet
    raise RuntimeError("no free /24 in 10.200.0.0/13")


@dataclass
class Host:
    name: str
    namespace: str
    address: str

    @property
    def wrapper(self) -> tuple[str, ...]:
        """Prefix of a command run on this host."""
        return ("ip", "netns", "exec", self.namespace)


class VethNetwork:
    """A bridge with an address in the root namespace (`address`: where the hosts reach the
    machine's services) and hosts added to it, each in a namespace of its own behind a veth
    pair (`eth0` inside, with its address; `lo` up). `close()` removes them all."""

    def __init__(self):
        self.tag = str(os.getpid())
        self.subnet = _free_subnet()
        self._free = self.subnet.hosts()
        self.address = str(next(self._free))
        self.bridge = f"{BRIDGE}{self.tag}"
        self.namespaces: list[str] = []
        self.links: list[str] = []
        self.hosts: list[Host] = []

    def open(self) -> VethNetwork:
        sweep_leftovers()
        ip("link", "add", self.bridge, "type", "bridge")
        self.links.append(self.bridge)
        ip("addr", "add", f"{self.address}/{self.subnet.prefixlen}", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        return self

    def add_host(self, name: str) -> Host:
        host = Host(name, f"{PREFIX}{name}-{self.tag}", str(next(self._free)))
        veth = f"mlg{self.tag}h{len(self.hosts)}"
        ip("netns", "add", host.namespace)
        self.namespaces.append(host.namespace)
        ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", host.namespace)
        self.links.append(veth)
        ip("link", "set", veth, "master", self.bridge, "up")
        ip("-n", host.namespace, "addr", "add", f"{host.address}/{self.subnet.prefixlen}",
           "dev", "eth0")
        ip("-n", host.namespace, "link", "set", "eth0", "up")
        ip("-n", host.namespace, "link", "set", "lo", "up")
        self.hosts.append(host)
        return host

    def close(self) -> None:
        for namespace in reversed(self.namespaces):
            ip("netns", "del", namespace, check=False)  # its veth end goes, and the pair with it
        for link in reversed(self.links):
            ip("link", "del", link, check=False)  # already gone, mostly: checked, not required
        self.namespaces, self.links = [], []

    def __enter__(self) -> VethNetwork:
        try:
            return self.open()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc) -> None:
        self.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Bytes one way until either end goes; then both go (closing one socket ends the pipe
    reading from it, which closes the other)."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


class TcpRelay:
    """Listens on `host` for each port of `targets` (the same port when free, else any) and
    forwards every connection to 127.0.0.1 at that port, byte for byte, in a thread of its own.
    `ports[target]` is where it listens. A client that dies (a killed host) closes its
    connection, so the server sees its session end as it would across a real network."""

    def __init__(self, host: str, targets):
        self.host = host
        self.targets = list(targets)
        self.ports: dict[int, int] = {}
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="tcp-relay",
                                       daemon=True)
        self.servers: list[asyncio.base_events.Server] = []
        self.open: set[asyncio.StreamWriter] = set()

    def start(self) -> TcpRelay:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self.loop).result(10)
        return self

    async def _listen(self) -> None:
        for target in self.targets:
            def serve(reader, writer, target=target):
                return self._serve(target, reader, writer)
            try:
                server = await asyncio.start_server(serve, self.host, target)
            except OSError:  # the port is taken on that address: any other
                server = await asyncio.start_server(serve, self.host, 0)
            self.servers.append(server)
            self.ports[target] = server.sockets[0].getsockname()[1]

    async def _serve(self, target: int, reader, writer) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            writer.close()
            return
        self.open |= {writer, upstream_writer}
        try:
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            self.open -= {writer, upstream_writer}

    async def _close(self) -> None:
        for server in self.servers:
            server.close()
        for writer in list(self.open):
            writer.close()

    def stop(self) -> None:
        if self.thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._close(), self.loop).result(10)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
        self.loop.close()

    def __enter__(self) -> TcpRelay:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
