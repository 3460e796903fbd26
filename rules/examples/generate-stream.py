#!/usr/bin/env python3
"""Writes a deterministic recorded stream for the example rules (fraud, security, ops):
background traffic of many users, cards, hosts and services, with scenarios mixed in that
the rules should catch (card testing, takeovers, velocity, impossible travel, brute force,
escalation, beaconing, temp-folder processes, missing heartbeats, error bursts,
unacknowledged requests). Times are RFC 3339 (UTC). About EVENTS events in all.

usage: generate-stream.py [EVENTS] > recorded.jsonl      (default 4000)"""
import datetime
import json
import random
import sys

N = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
rng = random.Random(20261124)
t0 = datetime.datetime(2026, 3, 1, 8, 0, 0, tzinfo=datetime.timezone.utc)
events = []  # (ms, order, event)
order = 0


def at(ms, ev):
    global order
    order += 1
    ev = dict(ev)
    ev["id"] = "r%05d" % order
    events.append((ms, order, ev))


def pick(seq):
    return seq[rng.randrange(len(seq))]


countries = ["US", "US", "US", "CA", "GB", "FR", "NG", "BR", "JP"]
span = N * 600  # ms of recorded time (40 minutes for 4000 events)
# Background: logins, payments, dns, logs, heartbeats.
for i in range(int(N * 0.75)):
    ms = rng.randrange(span)
    kind = rng.randrange(10)
    u = "u%d" % rng.randrange(400)
    if kind < 3:
        at(ms, {"type": "tx", "user": u, "card": "c" + u[1:], "amount": rng.randrange(1, 400),
                "merchant": "m%d" % rng.randrange(50), "device": "d%d" % rng.randrange(3)})
    elif kind < 5:
        home = countries[int(u[1:]) % 5]  # each user logs in from home
        at(ms, {"type": "login", "user": u, "country": home, "device": "d0"})
    elif kind < 6:
        at(ms, {"type": "login_failed", "user": u, "ip": "10.1.%d.%d" % (rng.randrange(4), rng.randrange(250))})
    elif kind < 7:
        at(ms, {"type": "dns", "host": "h%d" % rng.randrange(40), "domain": pick(["a.example", "b.example", "cdn.example"]),
                "t": ms // 1000})
    elif kind < 9:
        at(ms, {"type": "log", "service": pick(["api", "db", "pay", "auth"]), "level": pick(["info", "info", "warn", "error"])})
    else:
        req = "q%d" % i
        at(ms, {"type": "request", "request_id": req, "client": pick(["web", "ios", "android"])})
        if rng.random() < 0.97:
            at(ms + rng.randrange(100, 20000), {"type": pick(["ack", "ack", "cancel"]), "request_id": req})
# Heartbeats every minute for four services; one of them stops halfway.
for svc in ["api", "db", "pay", "auth"]:
    stop = span // 2 if svc == "pay" else span
    for ms in range(0, stop, 60000):
        at(ms + rng.randrange(500), {"type": "heartbeat", "service": svc})
# Scenarios.
for k in range(6):
    base = rng.randrange(span - 600000)
    card = "cx%d" % k
    for j in range(3 + k % 3):
        at(base + j * 5000, {"type": "tx", "card": card, "user": "ux%d" % k, "amount": rng.randrange(1, 5), "merchant": "probe%d" % (j % 2)})
    at(base + 60000, {"type": "tx", "card": card, "user": "ux%d" % k, "amount": 700 + k * 100, "merchant": "shop"})
for k in range(4):
    base = rng.randrange(span - 200000)
    u = "ut%d" % k
    at(base, {"type": "login", "user": u, "country": pick(["NG", "BR", "JP"]), "device": "d1"})
    at(base + 30000, {"type": "password_reset", "user": u})
    at(base + 90000, {"type": "tx", "user": u, "card": "ct%d" % k, "amount": 2500 + k, "device": "d2"})
for k in range(5):
    base = rng.randrange(span - 300000)
    u = "ub%d" % k
    for j in range(5 + k):
        at(base + j * 2000, {"type": "login_failed", "user": u, "ip": "192.0.2.%d" % (j % 3)})
    at(base + 20000, {"type": "login_ok", "user": u, "ip": "192.0.2.1", "network": "unknown"})
    if k % 2 == 0:
        at(base + 80000, {"type": "audit", "user": u, "action": "grant_admin"})
for k in range(3):
    base = rng.randrange(span - 700000)
    for j in range(7):
        ms = base + j * 60000 + rng.randrange(-3000, 3000)
        at(ms, {"type": "dns", "host": "hb%d" % k, "domain": "beacon.example", "t": ms // 1000})
for k in range(3):  # velocity: several large payments on one card within minutes
    base = rng.randrange(span - 300000)
    for j in range(4):
        at(base + j * 40000, {"type": "tx", "card": "cv%d" % k, "user": "uv%d" % k, "amount": 900 + 10 * j, "device": "d0"})
for k in range(3):  # impossible travel
    base = rng.randrange(span - 1300000)
    at(base, {"type": "login", "user": "ui%d" % k, "country": "FR", "device": "d0"})
    at(base + 1200000, {"type": "login", "user": "ui%d" % k, "country": "JP", "device": "d0"})
for k in range(3):
    at(rng.randrange(span), {"type": "process", "host": "w%d" % k, "path": "C:\\Windows\\Temp\\drop%d.exe" % k})
base = rng.randrange(span - 60000)
for j in range(12):
    at(base + j * 3000, {"type": "log", "service": "auth", "level": "error"})

events.sort(key=lambda e: (e[0], e[1]))
for ms, _, ev in events:
    t = t0 + datetime.timedelta(milliseconds=ms)
    ev["ts"] = t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)
    print(json.dumps(ev, separators=(",", ":")))
