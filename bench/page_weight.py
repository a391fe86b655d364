"""What the first load of the household list weighs, as a caseworker's browser fetches it.

Builds a throwaway demo programme (SQLite in a temporary folder), serves it with gunicorn
and whitenoise exactly as `make demo` does, logs in as caseworker.a in headless Chromium
with an empty cache, opens /households/ and adds up the bytes that crossed the network
(compressed, as sent) for the page and every asset it pulled. Then reloads it with a warm
cache. Prints the figures; run with `make bench`.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HOUSEHOLDS = int(os.environ.get("BENCH_HOUSEHOLDS", "300"))
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "bench-" + secrets.token_urlsafe(12)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(BIN / "awda"), *args], env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603


def measure(url: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = browser.new_page(viewport={"width": 412, "height": 915})
        page.goto(f"{url}/accounts/login/")
        page.fill("#id_username", "caseworker.a")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/households/")
        for label in ("first load, empty cache", "second load, warm cache"):
            session = page.context.new_cdp_session(page)
            session.send("Network.enable")
            if label.startswith("first"):
                session.send("Network.clearBrowserCache")
            sizes: dict[str, int] = {}
            urls: dict[str, str] = {}
            session.on(
                "Network.responseReceived",
                lambda e, urls=urls: urls.__setitem__(e["requestId"], e["response"]["url"]),
            )
            session.on(
                "Network.loadingFinished",
                lambda e, sizes=sizes: sizes.__setitem__(
                    e["requestId"], int(e["encodedDataLength"])
                ),
            )
            started = time.perf_counter()
            page.goto(f"{url}/households/", wait_until="load")
            page.wait_for_load_state("networkidle")  # late requests (fonts) are counted too
            elapsed = time.perf_counter() - started - 0.5  # networkidle waits 500 ms
            total = sum(sizes.values())
            print(
                f"/households/ {label}: {total / 1024:.1f} KB over {len(sizes)} requests, "
                f"{elapsed * 1000:.0f} ms on loopback"
            )
            for request_id, size in sorted(sizes.items(), key=lambda kv: -kv[1]):
                print(f"    {size / 1024:7.1f} KB  {urls.get(request_id, '?').replace(url, '')}")
            session.detach()
        browser.close()
    fonts = sorted((ROOT / "awda/static/vendor/fonts/noto-sans-arabic").glob("*.woff2"))
    extra = sum(f.stat().st_size for f in fonts)
    print(
        f"A device without Noto Sans Arabic installed also fetches its web fonts once: "
        f"+{extra / 1024:.1f} KB ({len(fonts)} files)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="awda-bench-") as var:
        env = {
            **os.environ,
            "AWDA_DEMO": "1",
            "AWDA_VAR_DIR": var,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "AWDA_DEMO_PASSWORD": PASSWORD,
        }
        env.pop("DATABASE_URL", None)
        env.pop("DEBUG", None)
        run(env, "migrate", "--noinput")
        run(env, "collectstatic", "--noinput")
        run(env, "load_places")
        run(env, "load_demo", "--households", str(HOUSEHOLDS))
        port = free_port()
        server = subprocess.Popen(  # noqa: S603
            [
                str(BIN / "gunicorn"),
                "awda.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{url}/healthz", timeout=1)  # noqa: S310
                    break
                except OSError:
                    time.sleep(0.1)
            print(f"demo programme of {HOUSEHOLDS} households; page of 25 households")
            measure(url)
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
