"""One side of the instruction count (run by ``instructions.py`` under callgrind).

``python icount_reader.py URL dxtrade|matchtrade client|bare N``: logs in, makes two warm
reads, then N more (the client's ``get_balance()``, or the same GET and ``json()`` on a bare
``requests.Session``).
"""

from __future__ import annotations

import sys

import requests

import brokers
from brokers.sandbox import DX_PASSWORD, MT_BROKER_ID, MT_PASSWORD


def main(url: str, platform: str, side: str, reads: int) -> None:
    if platform == "dxtrade":
        client: brokers.BrokerClient = brokers.DXTrade(url, "1210003", DX_PASSWORD)
    else:
        client = brokers.MatchTrade(
            url, "solo@example.com", MT_PASSWORD, MT_BROKER_ID, throttle=False
        )
    balance = client.get_balance()
    client.get_balance()
    if side == "client":
        for _ in range(reads):
            client.get_balance()
        return
    path = (
        f"/dxsca-web/accounts/{brokers.base.path_segment(balance.account)}/metrics"
        if platform == "dxtrade"
        else client._trading_path(client._resolve(None), "balance")
    )
    headers = {
        "Accept": "application/json",
        "User-Agent": client.user_agent,
        **client._auth_headers(balance.account),
    }
    http = requests.Session()
    for _ in range(reads + 1):
        answer = http.get(
            client.base_url + path, headers=headers, timeout=client.timeout, allow_redirects=False
        )
        answer.raise_for_status()
        answer.json()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
