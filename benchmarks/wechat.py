#!/usr/bin/env python3
"""WeChat server URL benchmark: signed text messages, built as WeChat's
servers build them, posted by concurrent senders to a running `marcier
serve`; every one answered with a passive reply.

Prints messages answered per second (target >= 300/s on this machine) and
the latency p50/p99 (target p99 < 100 ms), in plaintext and safe (AES)
mode.

Usage: .venv/bin/python benchmarks/wechat.py [--db URI] [--messages N]
       [--senders N]
Sets up a demo database (SQLite in a temporary folder by default).
"""
import argparse
import concurrent.futures
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import MARCIER, free_port, wait_for  # noqa: E402
from tests.rpc import Client  # noqa: E402
from tests.wechat import (  # noqa: E402
    AES_KEY, APP_ID, TOKEN, Pusher, text_xml)

msg_ids = itertools.count(8_000_000_000)


def run(platform, messages, senders, safe):
    pushers = [Pusher(platform) for _ in range(senders)]

    def send(pusher, count):
        latencies = []
        for _ in range(count):
            xml = text_xml(f'o-bench-{id(pusher) % 1000}', 'hello',
                next(msg_ids))
            started = time.perf_counter()
            response = pusher.push(xml, safe=safe)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200 or 'MsgType' not in (
                    pusher.decrypt(response) if safe else response.text):
                raise RuntimeError(f"bad answer {response.status_code}")
        return latencies

    # Warm up the connections and the server's caches
    for pusher in pushers:
        send(pusher, 3)
    per_sender = messages // senders
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(senders) as pool:
        results = list(pool.map(send, pushers, [per_sender] * senders))
    elapsed = time.perf_counter() - started
    latencies = sorted(l for r in results for l in r)
    count = len(latencies)
    p99 = latencies[int(count * 0.99) - 1]
    print(f"{'safe (AES)' if safe else 'plaintext':>10}: {count} messages "
        f"in {elapsed:.1f} s = {count / elapsed:.0f} messages/s; latency "
        f"p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p99 {p99 * 1000:.1f} ms", flush=True)


class Platform:
    def __init__(self, url, database):
        self.url, self.database = url, database


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--db', help="database URI (default: a new SQLite)")
    parser.add_argument('--messages', type=int, default=3000)
    parser.add_argument('--senders', type=int, default=8)
    args = parser.parse_args()
    from marcier_wechat.fake import FakeWeChat
    with tempfile.TemporaryDirectory() as folder:
        uri = args.db or f'sqlite:///{folder}/bench_wechat.sqlite'
        env = {**os.environ}
        env.pop('TRYTOND_DATABASE_URI', None)
        print("Setting up the demo database...", flush=True)
        subprocess.run([*MARCIER, 'setup', '--db', uri, '--demo'],
            check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
        port = free_port()
        server = subprocess.Popen(
            [*MARCIER, 'serve', '--db', uri, '--port', str(port),
                '--no-cron'], env=env, cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f'http://127.0.0.1:{port}/'
            wait_for(url, server)
            database = uri.rsplit('/', 1)[1].removesuffix('.sqlite')
            platform = Platform(url, database)
            operator = Client(url, database, 'operator')
            with FakeWeChat() as fake:
                values = {'name': "Marcier", 'app_id': APP_ID,
                    'secret': 'bench', 'token': TOKEN,
                    'api_url': fake.url, 'open_url': fake.url}
                account = (operator.search('wechat.account', [])
                    or operator.create('wechat.account', [values]))
                operator.write('wechat.account', account, values)
                print(f"{args.messages} signed text messages, "
                    f"{args.senders} concurrent senders, "
                    f"{uri.split(':')[0]}:", flush=True)
                run(platform, args.messages, args.senders, safe=False)
                operator.write('wechat.account', account,
                    {'aes_key': AES_KEY})
                run(platform, args.messages, args.senders, safe=True)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == '__main__':
    main()
