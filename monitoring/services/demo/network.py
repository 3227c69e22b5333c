"""A simulated network for the demo data: sites with a daily rhythm, WiFi clients that come
and go, and the NetJSON DeviceMonitoring samples each access point sends.

Pure and deterministic (one seeded random generator): no database, no clock. Inside the
simulation a time is a number of seconds since the start of the simulated period.

Clients are simulated per site, as people are: they arrive more often when the site is busy
(a station at rush hour, an office on weekday mornings), stay from minutes to hours, connect
to one of the site's access points and now and then roam between its two radios. Most are
the site's regulars, who come back day after day; the rest pass by once. A few fixed
clients (displays, sensors) stay connected all the time. Each sample lists the clients
associated at its time, exactly as an access point reports them.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Europe/Rome")
MINUTE = 60
HOUR = 3600
# Spread of visit durations around a site's median (log-normal): minutes to hours.
VISIT_SIGMA = 0.9
LONGEST_VISIT = 6 * HOUR
# Share of long visits (over half an hour, dual-band clients) that roam to the other radio.
ROAM_SHARE = 0.3
ROAM_AFTER = 30 * MINUTE
RADIOS = ("wlan0", "wlan1")  # 2.4 GHz, 5 GHz


@dataclass(frozen=True)
class Rhythm:
    """How busy a kind of site is, and how its visitors behave."""

    hourly: tuple[float, ...]  # share of the peak crowd present at each local hour, weekdays
    weekend: float  # weekend crowd relative to the weekday one
    peak_clients: int  # clients per access point at the busiest hour
    visit_minutes: int  # median visit
    regular_share: float  # share of visits by the site's regulars (the rest pass by once)
    regulars: int  # regulars per access point

    def activity(self, local: datetime) -> float:
        """Share of the peak crowd present at this local time, interpolated between hours."""
        hour = local.hour + local.minute / 60
        before, after = self.hourly[int(hour)], self.hourly[(int(hour) + 1) % 24]
        level = before + (after - before) * (hour - int(hour))
        return level * (self.weekend if local.weekday() >= 5 else 1.0)


RHYTHMS = {
    # Two rush hours, never quite empty.
    "transit": Rhythm(
        hourly=(0.10, 0.06, 0.04, 0.04, 0.06, 0.20, 0.50, 0.90, 1.00, 0.75, 0.60, 0.60,
                0.65, 0.65, 0.60, 0.60, 0.75, 0.95, 1.00, 0.80, 0.55, 0.40, 0.28, 0.18),
        weekend=0.75, peak_clients=25, visit_minutes=20, regular_share=0.25, regulars=60),
    # Lectures and study from morning to evening; quiet weekends.
    "campus": Rhythm(
        hourly=(0.03, 0.02, 0.02, 0.02, 0.02, 0.02, 0.04, 0.15, 0.50, 0.85, 1.00, 1.00,
                0.85, 0.80, 0.95, 0.95, 0.85, 0.65, 0.45, 0.30, 0.18, 0.12, 0.08, 0.05),
        weekend=0.3, peak_clients=20, visit_minutes=75, regular_share=0.75, regulars=40),
    # Office hours with a lunch break; almost nobody at weekends.
    "office": Rhythm(
        hourly=(0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.03, 0.15, 0.60, 0.95, 1.00, 1.00,
                0.70, 0.75, 0.95, 0.95, 0.85, 0.55, 0.25, 0.10, 0.05, 0.03, 0.02, 0.02),
        weekend=0.08, peak_clients=15, visit_minutes=120, regular_share=0.9, regulars=20),
}


@dataclass(frozen=True)
class Site:
    name: str
    latitude: float
    longitude: float
    kind: str  # a key of RHYTHMS
    ssid: str


# Around Rome: places with names a network operator would recognise.
SITES = (
    Site("Central Station", 41.9010, 12.5018, "transit", "Rome Free WiFi"),
    Site("University Campus", 41.9035, 12.5144, "campus", "Campus WiFi"),
    Site("City Hall", 41.8933, 12.4829, "office", "City Hall"),
    Site("Harbour Office", 41.7410, 12.2400, "office", "Harbour"),
    Site("North Library", 41.9330, 12.4660, "campus", "Library WiFi"),
    Site("Airport Terminal", 41.7999, 12.2462, "transit", "Rome Free WiFi"),
)
HEAD_OFFICE = Site("Head Office", 41.8986, 12.4769, "office", "Demo Office")


@dataclass(frozen=True)
class Profile:
    """What sets one demo access point apart from the others."""

    index: int
    site: Site
    management_ip: str | None  # None: not reachable from the server (behind NAT)
    full_disk: bool  # logs filled its flash
    evening_cpu: bool  # its CPU cannot keep up with the evening crowd
    reboots: bool  # a firmware upgrade one night: uptime and counters start again
    modem: bool  # an LTE modem beside the wired uplink

    @property
    def name(self) -> str:
        return f"demo-ap-{self.index:02d}"


def site_of(index: int) -> Site:
    """Every fifth access point is in the head office, the others spread over the sites."""
    return HEAD_OFFICE if index % 5 == 4 else SITES[index % len(SITES)]


def profile(index: int) -> Profile:
    """Demo access point ``index``: most are healthy and reachable; a few are not."""
    # Loopback addresses: the ping check gets real answers on the machine running the demo.
    host = index + 10
    return Profile(
        index=index, site=site_of(index),
        management_ip=None if index % 8 == 3 else f"127.0.{host // 250}.{host % 250}",
        full_disk=index % 11 == 2, evening_cpu=index % 13 == 8, reboots=index % 12 == 10,
        modem=index % 7 == 0,
    )


@dataclass(frozen=True)
class Client:
    mac: str
    dual_band: bool  # 802.11ac: also on the 5 GHz radio
    wifi6: bool  # 802.11ax


@dataclass(frozen=True)
class Association:
    """A client associated with one radio of one access point during [start, end)."""

    client: Client
    radio: int  # index in RADIOS
    start: float
    end: float
    download: float  # bytes per second to the client
    upload: float  # bytes per second from the client
    signal: int  # dBm


def _mac(rng: random.Random, used: set[str]) -> str:
    """A unicast, locally administered address: what phones and laptops show a network."""
    while True:
        octets = [rng.randrange(256) for _ in range(6)]
        octets[0] = (octets[0] & 0xFC) | 0x02
        mac = ":".join(f"{octet:02x}" for octet in octets)
        if mac not in used:
            used.add(mac)
            return mac


def _client(rng: random.Random, used: set[str]) -> Client:
    dual_band = rng.random() < 0.8
    return Client(_mac(rng, used), dual_band, dual_band and rng.random() < 0.35)


def _visit(client: Client, start: float, end: float, rng: random.Random) -> list[Association]:
    """One visit: on the 5 GHz radio when the client can; a long one may roam once."""
    download = min(rng.lognormvariate(math.log(15_000), 1.2), 3_000_000)
    upload = download * rng.uniform(0.08, 0.25)
    radio = 1 if client.dual_band and rng.random() < 0.75 else 0
    signal = rng.randint(-80, -45)
    if client.dual_band and end - start > ROAM_AFTER and rng.random() < ROAM_SHARE:
        roam = start + (end - start) * rng.uniform(0.2, 0.8)
        return [Association(client, radio, start, roam, download, upload, signal),
                Association(client, 1 - radio, roam, end, download, upload, signal - rng.randint(-6, 6))]
    return [Association(client, radio, start, end, download, upload, signal)]


def site_visits(devices: list[int], rhythm: Rhythm, *, start: datetime, horizon: float, shortest: float,
                rng: random.Random, used_macs: set[str]) -> dict[int, list[Association]]:
    """The associations of a site's people with its access points ``devices`` over
    [0, horizon): arrivals follow the site's rhythm, durations are log-normal."""
    median = rhythm.visit_minutes * MINUTE
    mean_visit = median * math.exp(VISIT_SIGMA ** 2 / 2)
    # Arrivals at full activity, so that the crowd present reaches the peak (Little's law);
    # thinning by the activity of the moment gives the rhythm.
    top_rate = rhythm.peak_clients * len(devices) / mean_visit
    regulars = [_client(rng, used_macs) for _ in range(rhythm.regulars * len(devices))]
    busy_until: dict[str, float] = {}
    associations: dict[int, list[Association]] = {device: [] for device in devices}
    at = 0.0
    while True:
        at += rng.expovariate(top_rate)
        if at >= horizon:
            return associations
        if rng.random() > rhythm.activity((start + timedelta(seconds=at)).astimezone(LOCAL_ZONE)):
            continue
        # At least one sample interval long: an access point reports every visit at least once.
        duration = min(max(rng.lognormvariate(math.log(median), VISIT_SIGMA), shortest), LONGEST_VISIT)
        client = rng.choice(regulars) if rng.random() < rhythm.regular_share else None
        if client is None or busy_until.get(client.mac, -1.0) > at:
            client = _client(rng, used_macs)  # a passer-by (or a regular who is here already)
        busy_until[client.mac] = at + duration
        associations[rng.choice(devices)] += _visit(client, at, at + duration, rng)


def fixed_clients(count: int, rng: random.Random, used_macs: set[str]) -> list[Association]:
    """Displays and sensors: on the 2.4 GHz radio all the time, with a trickle of traffic."""
    return [Association(Client(_mac(rng, used_macs), False, False), 0, -math.inf, math.inf,
                        rng.uniform(1_000, 4_000), rng.uniform(500, 3_000), rng.randint(-65, -50))
            for _ in range(count)]


@dataclass
class Counters:
    """An interface's byte counters since boot (64-bit: they never wrap)."""

    rx: int = 0
    tx: int = 0

    def add(self, rx: float, tx: float) -> None:
        self.rx += int(rx)
        self.tx += int(tx)


@dataclass
class AccessPoint:
    """One demo access point: its clients over the whole period and the state its samples
    carry from one to the next (counters, uptime, load averages)."""

    profile: Profile
    associations: list[Association]  # sorted by start
    start: datetime
    period: float  # seconds simulated (the samples' range)
    rng: random.Random
    boot: float = field(init=False)  # when it was last switched on
    reboot_at: float | None = field(init=False)
    previous: float | None = field(init=False, default=None)  # the time of its previous sample
    counters: dict[str, Counters] = field(init=False)
    load: list[float] = field(init=False, default_factory=lambda: [0.1, 0.1, 0.1])
    pending: int = field(init=False, default=0)  # associations[pending:] have not started yet
    present: list[Association] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.boot = -self.rng.uniform(2 * MINUTE, 15 * MINUTE)  # switched on just before the period
        self.counters = {name: Counters() for name in ("wan", "br-lan", *RADIOS)}
        self.reboot_at = _next_night(self.start, self.period / 2) if self.profile.reboots else None

    def associated(self, at: float) -> list[Association]:
        """The associations in progress at ``at``; times must not decrease between calls."""
        while self.pending < len(self.associations) and self.associations[self.pending].start <= at:
            self.present.append(self.associations[self.pending])
            self.pending += 1
        self.present = [association for association in self.present if association.end > at]
        return self.present

    def sample(self, at: float) -> dict:
        """The NetJSON DeviceMonitoring document the access point sends at ``at``."""
        when = self.start + timedelta(seconds=at)
        if self.reboot_at is not None and self.previous is not None and self.previous < self.reboot_at <= at:
            self.boot = self.reboot_at
            self.counters = {name: Counters() for name in self.counters}
        since = self.boot if self.previous is None else max(self.previous, self.boot)
        present = self.associated(at)
        self._count_traffic(present, since, at)
        self.previous = at
        local = when.astimezone(LOCAL_ZONE)
        interfaces = [self._wired("wan", "ethernet"), self._bridge(),
                      *(self._radio(radio, present) for radio in range(len(RADIOS)))]
        if self.profile.modem:
            interfaces.append(self._modem())
        return {
            "type": "DeviceMonitoring",
            "general": {"hostname": self.profile.name, "uptime": int(at - self.boot),
                        "local_time": int(when.timestamp())},
            "resources": self._resources(len(present), local, at, since),
            "interfaces": interfaces,
        }

    def _count_traffic(self, present: list[Association], since: float, at: float) -> None:
        down_by_radio, up_by_radio = [0.0] * len(RADIOS), [0.0] * len(RADIOS)
        for association in present:
            seconds = (at - max(since, association.start)) * self.rng.uniform(0.5, 1.5)
            down_by_radio[association.radio] += association.download * seconds
            up_by_radio[association.radio] += association.upload * seconds
        for radio, name in enumerate(RADIOS):
            self.counters[name].add(rx=up_by_radio[radio], tx=down_by_radio[radio])
        down, up = sum(down_by_radio), sum(up_by_radio)
        chatter = (at - since) * self.rng.uniform(200, 400)  # DHCP, ARP, the monitoring agent
        self.counters["br-lan"].add(rx=up + chatter, tx=down + chatter)
        self.counters["wan"].add(rx=down * 1.04 + chatter, tx=up * 1.04 + chatter)  # with protocol overhead

    def _statistics(self, name: str) -> dict:
        counters = self.counters[name]
        return {"rx_bytes": counters.rx, "tx_bytes": counters.tx,
                "rx_packets": counters.rx // 900, "tx_packets": counters.tx // 700}

    def _wired(self, name: str, kind: str) -> dict:
        return {"name": name, "type": kind, "up": True, "mtu": 1500, "statistics": self._statistics(name)}

    def _bridge(self) -> dict:
        return {**self._wired("br-lan", "bridge"), "bridge_members": ["lan1", *RADIOS]}

    def _radio(self, radio: int, present: list[Association]) -> dict:
        index = self.profile.index
        if radio == 0:
            channel = (1, 6, 11)[index % 3]
            settings = {"channel": channel, "frequency": 2407 + 5 * channel, "htmode": "HT20", "tx_power": 20}
        else:
            channel = (36, 52, 100, 116)[index % 4]
            settings = {"channel": channel, "frequency": 5000 + 5 * channel, "htmode": "VHT80", "tx_power": 23}
        clients = sorted((a for a in present if a.radio == radio), key=lambda a: a.client.mac)
        return {
            "name": RADIOS[radio], "type": "wireless", "up": True, "mtu": 1500,
            "statistics": self._statistics(RADIOS[radio]),
            "wireless": {**settings, "country": "IT", "mode": "access_point", "ssid": self.profile.site.ssid,
                         "noise": self.rng.randint(-98, -92), "clients": [self._client(a) for a in clients]},
        }

    def _client(self, association: Association) -> dict:
        client = association.client
        return {"mac": client.mac, "auth": True, "authorized": True, "assoc": True, "ht": True,
                "vht": client.dual_band, "he": client.wifi6, "wmm": True, "mfp": client.wifi6,
                "signal": association.signal + self.rng.randint(-3, 3), "noise": -95}

    def _modem(self) -> dict:
        def around(value: float, spread: float) -> float:
            return round(value + self.rng.uniform(-spread, spread), 1)

        return {"name": "mobile0", "type": "modem-manager", "up": True, "mobile": {
            "imei": f"3500000{self.profile.index:08d}", "operator_code": "22210", "operator_name": "Demo Mobile",
            "connection_status": "connected", "power_status": "on", "manufacturer": "Demo", "model": "LTE-1",
            "signal": {"lte": {"rssi": around(-70, 8), "rsrp": around(-100, 10), "rsrq": around(-10, 3),
                               "snr": around(12, 4)}}}}

    def _resources(self, clients: int, local: datetime, at: float, since: float) -> dict:
        rng = self.rng
        demand = 0.08 + 0.015 * clients + rng.uniform(0, 0.1)
        if self.profile.evening_cpu and 18 <= local.hour < 23:
            demand += rng.uniform(0.85, 1.1)
        # The 1, 5 and 15 minute load averages follow the demand at their own pace.
        for position, minutes in enumerate((1, 5, 15)):
            weight = 1 - math.exp(-(at - since) / (minutes * MINUTE))
            self.load[position] += (demand - self.load[position]) * weight
        total = 128 * 2**20
        used = min(0.42 + 0.004 * clients + rng.uniform(-0.02, 0.02), 0.9)
        buffered, cached = 6 * 2**20, 18 * 2**20
        elapsed = at / self.period  # logs grow slowly over the period
        if self.profile.full_disk:
            disk_used = 0.955 + 0.015 * elapsed
        else:
            disk_used = 0.2 + 0.03 * (self.profile.index % 5) + 0.02 * elapsed
        size = 60 * 2**20
        return {
            "load": [round(value, 2) for value in self.load], "cpus": 1,
            "memory": {"total": total, "free": int(total * (1 - used)) - buffered, "buffered": buffered,
                       "shared": 2**20, "cached": cached, "available": int(total * (1 - used)) + cached},
            "disk": [{"mount_point": "/overlay", "filesystem": "/dev/ubi0_1", "size_bytes": size,
                      "used_bytes": int(size * disk_used), "available_bytes": size - int(size * disk_used),
                      "used_percent": round(100 * disk_used)}],
        }


def _next_night(start: datetime, offset: float) -> float:
    """The first ten past four in the morning, local time, after ``offset`` seconds: when
    firmware upgrades are scheduled."""
    local = (start + timedelta(seconds=offset)).astimezone(LOCAL_ZONE)
    night = local.replace(hour=4, minute=10, second=0, microsecond=0)
    if night < local:
        night += timedelta(days=1)
    return (night - start).total_seconds()


def build(profiles: list[Profile], *, start: datetime, period: float, horizon: float, shortest: float,
          rng: random.Random) -> list[AccessPoint]:
    """The access points of ``profiles`` with their clients over [0, horizon); ``period``
    is the range the samples cover (``horizon`` leaves room for a few more)."""
    used_macs: set[str] = set()
    by_site: dict[Site, list[int]] = {}
    for item in profiles:
        by_site.setdefault(item.site, []).append(item.index)
    associations: dict[int, list[Association]] = {}
    for site, indexes in by_site.items():
        associations.update(site_visits(indexes, RHYTHMS[site.kind], start=start, horizon=horizon,
                                        shortest=shortest, rng=rng, used_macs=used_macs))
    access_points = []
    for item in profiles:
        mine = fixed_clients(1 + item.index % 2, rng, used_macs) + associations[item.index]
        access_points.append(AccessPoint(item, sorted(mine, key=lambda a: a.start), start, period,
                                         random.Random(rng.random())))
    return access_points
