"""brokers.sandbox: a loopback HTTP emulator of the DXtrade, Match-Trader and ProjectX REST wire
formats.

An independent emulator (standard library only; it imports nothing else from ``brokers``) for
client tests, cassette recording and fan-out benchmarks. It serves:

- DXtrade DXSCA under ``/dxsca-web`` (``shared/reference/dxtrade-api.md``);
- Match-Trader Platform API under ``/manager/...`` and ``/mtr-api/{systemUuid}/...``
  (``shared/reference/matchtrader-api.md``);
- ProjectX Gateway API under ``/api/...`` (``shared/reference/projectx-api.md``; base URL
  ``sb.url``).

Usage::

    from brokers.sandbox import Sandbox, DX_PASSWORD, DX_DOMAIN

    with Sandbox(latency=0.0) as sb:          # 127.0.0.1, a free port
        sb.url                                # "http://127.0.0.1:PORT" (Match-Trader origin)
        sb.dxtrade_url                        # sb.url + "/dxsca-web"
        sb.fault("/dxsca-web/accounts/*/metrics", status=503, times=2)
        ...                                   # run the client against it
        assert sb.count("/dxsca-web/accounts/*/metrics") == 3
        assert sb.connections == 1            # keep-alive was used

From a shell: ``python -m brokers.sandbox [--host 127.0.0.1] [--port 8700] [--latency S]``; the
first stdout line is ``SANDBOX_URL=http://127.0.0.1:PORT`` (``--port 0`` picks a free port).

Server
------
HTTP/1.1 with keep-alive: every answer carries ``Content-Length`` (none on 204/304); a request
with ``Connection: close`` gets ``Connection: close`` and the socket is closed. One daemon thread
per connection. ``stop()`` (or leaving the ``with`` block) stops accepting, wakes sleeping
handlers (latency and fault delays wait on an Event) and shuts down every open client socket.
Only loopback hosts are accepted (``ValueError`` otherwise).

Sandbox API
-----------
- ``Sandbox(host="127.0.0.1", port=0, latency=0.0)``; ``start()`` → self, ``stop()``, context
  manager; ``port``, ``url``, ``dxtrade_url``, ``matchtrade_url`` (= ``url``).
- ``requests``: copy of the recorded :class:`RecordedRequest` list, arrival order.
- ``connections``: number of TCP connections that carried at least one recorded request since the
  last ``clear()`` (admin-only connections are not counted).
- ``count(path=None, method=None)``: recorded requests whose path (without query) matches the
  fnmatch glob ``path`` (tried on the raw path and on its percent-decoded form) and ``method``.
- ``clear()``: forget recorded requests, reset the connection count.
- ``stats()``: ``{"requests": n, "connections": m, "by_path": {"METHOD path": n}}``.
- ``latency`` (float s, settable): added before every recorded request is answered.
- ``expire_sessions(refresh=False)``: every DXtrade session token, Match-Trader co-auth JWT and
  ProjectX token is invalid from now on (401); Match-Trader ``rt`` refresh tokens survive unless
  ``refresh=True``.
- ``reset()``: seed data, default settings, no records, no faults, initial latency.
- ``dxtrade`` / ``matchtrade`` / ``projectx``: the platform state objects (settings below).

:class:`RecordedRequest` (frozen): ``method``, ``path`` (no query, still percent-encoded),
``query`` (dict, last value), ``headers`` (lower-case names), ``body`` (bytes), ``json`` (body
parsed with plain ``json.loads`` or ``None``), ``connection`` (int id of the TCP connection, from
1), ``time`` (monotonic). Helpers: ``header(name)``, ``cookies()``.

Faults
------
``sb.fault(path_glob, *, method=None, status=None, json=None, body=None, content_type=None,
headers=None, delay=0.0, drop=False, after_execute=False, times=1) -> Fault``

- Matched in the order queued against the path without query (raw or percent-decoded) and the
  method (``None``: any). The first matching fault with uses left is consumed (``times=None``:
  forever); a request with no fault is handled normally. Several faults for one route therefore
  apply to successive requests.
- ``status``/``json``/``body`` replace the answer: ``json`` is serialised (Content-Type
  ``application/json``), ``body`` (str or bytes) is sent as is (Content-Type ``text/html`` unless
  ``content_type``; an empty ``body`` has no Content-Type); ``status`` alone sends ``{}`` as JSON
  (nothing for 204/304); ``json``/``body`` without ``status`` use 200. JSON ``null`` cannot be sent
  through ``json=``: use ``body="null", content_type="application/json"``.
- ``headers``: extra response headers (replacing same-named ones), also on a normal answer.
- ``delay``: seconds to wait before answering (interrupted by ``stop()``).
- ``drop=True``: close the TCP connection without any response.
- ``after_execute=True``: run the real handler first (the state change happens), then apply
  delay / drop / status override ("the write executed but the answer was lost").
- A :class:`Fault` exposes ``hits`` and ``remaining``; ``sb.faults`` lists those still queued;
  ``sb.clear_faults()`` forgets them all.
- ``sb.cloudflare(path_glob="*", times=None, method=None)``: 403 with ``cf-mitigated:
  challenge``, ``Server: cloudflare``, ``Content-Type: text/html`` and a page containing
  ``<title>Just a moment...</title>`` and "Enable JavaScript and cookies to continue".

Admin routes (not recorded, not faulted, no latency)
----------------------------------------------------
``GET /_sandbox/stats`` → stats; ``POST /_sandbox/clear``; ``POST /_sandbox/config``
``{"latency": 0.1}``; ``POST /_sandbox/expire`` (optional ``{"refresh": true}``);
``POST /_sandbox/reset``. Each POST answers ``{"ok": true}``. For ``<platform>`` one of
``dxtrade``, ``matchtrade``, ``tradelocker``, ``projectx``:

- ``POST /_sandbox/<platform>/settings`` ``{name: value, ...}`` sets that platform's settings
  (the plain attributes listed under each platform below), all or none; a JSON list becomes a
  tuple or set where the setting holds one. A name that is not a setting (unknown, private, a
  method, ``lock``) → 400 ``{"error"}``. Answers ``{"ok": true, "settings": {...}}``. This is
  how a sandbox in another process (``python -m brokers.sandbox``) is configured, e.g.
  ``/_sandbox/dxtrade/settings`` ``{"history_page_size": 4}``; ``/_sandbox/reset`` restores
  the defaults.
- ``POST /_sandbox/<platform>/<action>`` calls that platform state's ``admin(action, payload)``
  (404 when it has none, 400 on a bad payload): ``/_sandbox/dxtrade/quote`` ``{"symbol",
  "bid", "ask"}`` moves a DXtrade quote.

Seed data
---------
DXtrade (domain ``DX_DOMAIN``, password ``DX_PASSWORD`` for every user, ``DX_USERS``; SSO token
``seed.DX_SSO_TOKEN``): ``default:1210001`` USD (one XAU/USD position), ``default:1210002`` EUR
(one EUR/USD position), ``default:1210003`` GBP (flat). Instruments and initial quotes
(bid/ask): EUR/USD 1.08500/1.08510, GBP/USD 1.27000/1.27015 (lotSize 100000, orders 1000 to
10,000,000 units in steps of 1000), XAU/USD 2400.10/2400.50 (lotSize 100, 1..10000 step 1),
BTCUSD 65000.00/65050.00 (lotSize 1, 0.01..100 step 0.01). History dated relative to the reset
(``seed.DX_CLOSED_TRADES`` etc.): 1210001 has five closed trades over the past three weeks
(an OPEN and a CLOSE order each, with fills, SETTLEMENT and some COMMISSION), one cancelled
LIMIT and a deposit; 1210003 one closed trade; every account a deposit; 1210002 a MARGIN_CALL
event. Candles are deterministic (a smooth function of symbol and time around the seed bid).

Match-Trader (``MT_BROKER_ID``, ``MT_PASSWORD``, ``MT_USERS``): 700001 USD and 700002 EUR share
one systemUuid, 700003 USD is on another. Symbols ``EURUSD.``, ``GBPUSD.``, ``XAUUSD.`` with the
same quotes; volume 0.01..100 step 0.01, leverage 100.

Fills happen at the quote (buy at ask, sell at bid) and are marked at the other side, so a new
position starts with a small spread loss: equity and margin move when positions open, and the P/L
is booked into the balance when they close (no currency conversion: P/L in the quote currency is
booked 1:1). Match-Trader quotes are static and its limit/stop orders never trigger; DXtrade
quotes move with ``sb.dxtrade.set_quote(symbol, bid, ask)`` (or the admin route), which fills the
STOP/LIMIT orders the new quote reaches (buy on ask, sell on bid; also checked right after a
placement or modify, so a marketable order fills at once).

DXtrade routes and settings (``sb.dxtrade``)
--------------------------------------------
Written from ``shared/reference/dxtrade-api.md`` (§ = its sections); modules ``dxtrade.py``
(sessions, users, metrics, positions), ``dxtrade_orders.py`` (list, place, execute),
``dxtrade_modify.py`` (cancel, modify), ``dxtrade_history.py``, ``dxtrade_market.py``.

Routes: ``POST /login`` ``/loginByToken`` ``/ping`` ``/logout``; ``GET /users``,
``/users/{login%40domain}``; ``GET /accounts/{acct}/metrics`` and ``/accounts/metrics?accounts=``
(``include-positions``); ``GET /accounts/{acct}/positions|portfolio|orders`` (also
``/accounts/...?accounts=``) with ETag and 304 on ``If-None-Match``; ``GET
/accounts/{acct}/orders/{order}`` (client code, system orderCode or orderId; own ETag);
``POST /accounts/{acct}/orders`` (a single order or a group ``{"orders": [...],
"contingencyType": "IF-THEN"|"OCO"}``); ``PUT /accounts/{acct}/orders`` (modify);
``DELETE /accounts/{acct}/orders/{orderCode}`` (client code or system orderCode, not the
orderId); ``DELETE /accounts/{acct}/orders/group?order-codes=&contingency-type=``;
``GET|POST /accounts/{acct}/orders/history`` and ``/accounts/orders/history?accounts=``;
``GET /accounts/{acct}/transfers``, ``/accounts/transfers?accounts=``; ``GET
/accounts/{acct}/events``, ``/accounts/events?accounts=``; ``GET /instruments/query``
(``symbols=`` comma list with ``*``), ``/instruments/{symbol}``, ``/instruments/type/{type}``;
``GET /accounts/{acct}/instruments/query|type/{type}|{symbol}`` (Instrument Details);
``POST /marketdata``; ``GET|POST /conversionRates``. Account codes may be percent-encoded or
raw. Unknown paths → 404 HTML; a known path with another method → 405 HTML with ``Allow`` (so
``POST /accounts/{acct}/orders/group`` is 405: groups are placed at ``/orders``).

Orders (§7.1-§7.5). An Order's ``clientOrderId`` is the ``orderCode`` the client sent; its own
``orderCode`` is the system chain code ``"<n>:<client code>"``; ``orderId`` is a number. Prices
are in ``legs[0].price``; an OPEN leg's ``positionCode`` is the order's own id (the code of the
position its fill opens). A CLOSE STOP/LIMIT without quantity shows the position's quantity.
Group members in the open-orders list carry ``links`` (``PARENT``/``CHILD``/``OCO``,
``linkedOrder`` = the system orderCode); history orders never do. Placing validates (400/33
malformed, 400/101 bad client code, 409/100 duplicate, 400/32 unknown instrument); IF-THEN: a
parent OPEN with quantity, children CLOSE STOP/LIMIT, opposite side, quantity 0/omitted, GTC,
same instrument (400/33); OCO: two OPEN orders of equal quantity. IF-THEN children are
``ACCEPTED`` (inactive) until the parent fills, then ``WORKING`` protective CLOSE orders of the
new position (its code = the parent's orderId); an OCO fill cancels the other member. CLOSE
orders need a top-level ``positionCode`` (400/33; unknown position → 409/33); a STOP/LIMIT
CLOSE with a quantity → 400/33 "Closing STOP/LIMIT orders should not have specified quantity";
a MARKET CLOSE without quantity closes the whole position. When a position closes, its
protective orders are cancelled. Pre-trade rejections (409, ``pre_trade_code``): quantity below
``minOrderSize``, above ``maxOrderSize`` or off ``minOrderSizeIncrement``; ``tradingStatus`` NO
(or CLOSE_ONLY for OPEN orders); ``reject_orders``. Cancel: ``If-Match`` required (403/99),
the orders-list ETag or the order's own ETag (``etag_sources``) or ``*``, else 412/99; final →
409/1005; an IF-THEN parent takes its inactive children along; answer an Order Response with
the new list ``ETag``. The group cancel cancels every active member of the group (IF-THEN:
parent first; bad/missing parameters 400/32). Modify: the complete order (or the whole group)
found by ``orderCode`` (client or system code; unknown 404/2, final 409/1005); a changed
``type``/``side``/``instrument``/``positionEffect``/``positionCode`` or group membership → 409
(``immutable_code``); prices, quantity, tif/expireDate replaced (size limits apply), version and
ETag bumped; answer an Order Response (a list for a group) with the new ``ETag``; a single PUT
of an IF-THEN entry cancels its children. Every change is an execution (``executions[]``);
fills book ``SETTLEMENT`` (closes) and ``COMMISSION`` (``commission_rate``) cash transactions,
also listed as trade-originated cash transfers (no ``transferCode``).

History (§7.6): every order of the account (open ones too), newest first, filters
``with-client-id``, ``with-order-id``, ``in-status``, ``of-type`` (any case), ``side``,
``for-instrument``, ``issued-|completed-|transaction-from|to``, ``period``
(today|previous-day|week|previous-week, calendar UTC), ``at-least-|at-most-version`` (comma
values OR-ed); then ``page``/``page-size``, then ``limit``; at most ``history_page_size``
orders per answer with ``nextPageTransactionTime`` = the first order left out (repeat with
``transaction-to``). POST takes the parameters in the query or as a JSON object. Transfers:
``{"cashTransfers": [...]}`` oldest first, ``of-type``, ``time-from``/``time-to``, ``period``,
``start-from``, ``limit`` (≤ ``list_max``). Events: ``{"accountEvents": [...]}`` (no
timestamps, ETag), ``from-time``/``to-time`` and ``time-from``/``time-to``, ``of-type``,
``start-from``, ``limit``; helper ``add_account_event(account, type, threshold, actual)``.

Market data (§7.7): ``{"events": [...]}``; Quote ``time`` in whole seconds; Candle needs
``fromTime``/``toTime`` (400/33), ``candleType`` in ``m 5m 15m 30m h 2h 4h d w mo`` (400/32),
``count`` (default ``candle_default_count``, capped at ``candle_max_count``); candles starting
inside the window and complete by now, the earliest ``count``, ``time`` = start, bid prices.
Unknown symbol → 400/32. Conversion rates (§7.8): ``toCurrency`` (required, 400/32),
``fromCurrency`` optional (query or POST JSON body) → ``{"conversionRates": [...]}`` from mid
quotes (USD, EUR, GBP, XAU, BTC).

Errors are ``{"errorCode": "<code>", "description": ...}``: login 401/3 bad credentials, 500/110
empty body; 401/1 missing/unknown/expired token; 404/2 foreign or unknown account/order.

Settings: ``session_timeout`` (1800 s, idle, reset by every request); ``timeout_format``
``"hms"`` (default) | ``"iso"`` | ``"seconds"`` | ``"ms"`` | ``"absent"``; ``pl_spelling``
``"openPL"`` | ``"openPl"``; ``margin_field`` ``"margin"`` | ``"maintenanceMargin"``;
``numbers_as_strings`` (metrics money as strings); ``error_code_int``; ``omit_fields`` (metric
names to leave out); ``ping_empty``; ``logout_status`` (200 → ``{}``, 204 → empty);
``empty_login_status`` (500 → 500/110, 400 → 400/33); ``require_user_agent`` (False; empty
``User-Agent`` → 403); ``locked`` (usernames → 401/3 "Account is locked"); ``rest_disabled``
(usernames → 403/2). Orders: ``require_if_match`` (True); ``etag_sources`` ({"list",
"order"}); ``modify_etag`` (True: writes answer the new list ETag); ``reject_orders`` (text →
409 on every placement while set); ``pre_trade_code`` ("29"); ``immutable_code`` ("33");
``order_code_style`` ``"number"`` (``"<n>:<code>"``) | ``"session"``
(``"dxsca-integration-session-code:<code>"``); ``group_answer_list`` (False: bare list of
Order Responses when True); ``cancel_empty`` (False: cancels answer 200 with no body when
True); ``reject_close_quantity`` (True); ``market_gtc_only`` (False: MARKET with tif other than
GTC → 400/33 when True); ``single_put_drops_children`` (True); ``commission_rate`` (0, a
fraction of the notional per fill); ``instrument_details`` ({symbol: {field: value}} overriding
Instrument Details, e.g. ``{"XAU/USD": {"tradingStatus": "CLOSE_ONLY"}}``). History:
``history_page_size`` (50); ``history_oldest_first`` (False); ``history_last_page``
``"absent"`` | ``"empty"`` | ``"null"``; ``list_max`` (1000); ``events_time_spelling``
``"both"`` | ``"from-time"`` | ``"time-from"``. Market data: ``marketdata_requires_account``
(False); ``marketdata_events_type`` (False); ``marketdata_millis`` (False: candle times in whole
seconds); ``candle_default_count`` (100); ``candle_max_count`` (1000); ``candle_order``
``"asc"`` | ``"desc"``; ``conversion_single`` (False); ``conversion_post_405`` (False).

Match-Trader routes and settings (``sb.matchtrade``)
----------------------------------------------------
``GET /manager/platform-details``; ``POST /manager/co-login`` and ``/manager/mtr-login`` (sets
``co-auth`` and ``rt`` cookies); ``POST /manager/refresh-token`` (``rt`` cookie). Under
``/mtr-api/{systemUuid}`` (``Auth-trading-api`` of an account on that system + live ``co-auth``
cookie of its owner, else 401; unknown system → 404 HTML): ``GET balance``, ``open-positions``,
``active-orders``, ``effective-instruments``, ``quotations?symbols=``, ``candles``; ``POST
closed-positions``, ``position/open``, ``position/edit``, ``position/close`` (object),
``positions/close`` (array, all-or-nothing), ``position/close-partially``,
``pending-order/create|edit|cancel``. Mutations answer ``{"status", "nativeCode",
"errorMessage", "orderId"}``; invalid ones 200 ``REJECTED``. A new position's ``id`` equals the
``orderId`` that opened it. Errors of reads are ``{"errorMessage": ...}``.

Market data and history (modules ``matchtrade_market`` and ``matchtrade_history``; sheet §4.1):

- ``quotations?symbols=A,B`` (plain or ``%2C`` commas): one entry per known symbol (unknown ones
  left out; no ``symbols`` → all), prices as strings, ``timestampSec`` + ``timestampMs``.
- ``candles?symbol=&interval=&from=&to=`` (all four required, ISO-8601; intervals ``M1 M5 M15
  M30 H1 H4 D1 W1 MN1``; else 400): ``{symbol, interval, candles: [{time, open, high, low,
  close, volume}]}``, ``time`` = open time in epoch ms (W1 bars open on Mondays, MN1 on the
  1st), bars opening in ``[from, to]`` up to now, oldest first, values JSON numbers; a
  deterministic series around the seed quote; the bar holding now is forming (close = mid).
- ``closed-positions`` (body ``{"from", "to"}``, optional ``symbols``): ``{"operations":
  [...]}``, one entry per closing operation closed in ``[from, to]``, sorted by close time; a
  partial close has ``closeReason`` ``CLOSE_REASON_PARTIAL`` and its own ``uid`` (same ``id``).
  Seeded history: 700001 has 12 operations over the 8 weeks before today (one position closed
  in two parts), 700002 three, 700003 none; every close through the API is added.
- ``position/edit``: both levels from the body (``0`` or absent clears one); a stop loss or take
  profit on the wrong side of the price the position closes at (bid for BUY, ask for SELL) is
  REJECTED ``INVALID_STOPS``. ``pending-order/edit``: ``priceOrder`` (required), ``volume``,
  ``slPrice``/``tpPrice`` checked against the new price the same way.

Settings: ``co_login_enabled`` (True); ``account_keys`` ``"accounts"`` | ``"tradingAccounts"`` |
``"selected_only"``; ``selected_index`` (0); ``token_lifetime`` (900 s, the JWT ``exp``);
``refresh_mode`` ``"cookie"`` | ``"body"``; ``refresh_limit`` (4 per user per hour, then 429);
``money_as_numbers``; ``omit_fields`` (balance names to leave out); ``locked`` (e-mails → 401
"User is blocked"); ``reject_orders`` (message → every mutation 200 REJECTED); ``empty_401``
(401 without body on ``/mtr-api``); ``cancel_empty`` (pending cancel → 204);
``quotations_shape`` ``"array"`` | ``"wrapped"`` (``{"quotations": [...]}``);
``quote_timestamps`` ``"both"`` | ``"sec"`` | ``"none"``; ``candles_order`` ``"asc"`` |
``"desc"``; ``candles_as_strings``; ``candle_intervals`` (the accepted spellings);
``closed_page_size`` (None; N → at most the first N operations per answer, silently, as a
server with an undocumented cap would); ``closed_max_span`` (None; seconds → a longer range is
400); ``closed_order`` ``"asc"`` | ``"desc"``; ``closed_time_format`` ``"Z"`` | ``"offset"`` |
``"naive"``; ``edit_strict`` (False; True → an edit whose ``orderSide``/``volume``/``type``
differ from the position's or order's is REJECTED); ``pending_edit_answer`` ``"operation"`` |
``"empty"`` (200, no body) | ``"204"``. Helpers: ``system_uuid(account_id)``,
``trading_api_token(account_id)``.

ProjectX routes and settings (``sb.projectx``)
----------------------------------------------
Seed (``projectx_seed``): API key ``PX_API_KEY`` for every user in ``PX_USERS``.
``trader@example.com`` owns 10001 ``EXAMPLE-50K-001`` (simulated, long 2 ``CON.F.US.MES.H25`` @
6050.50, with its opening fill and a voided fill), 10002 (funded, ``simulated`` omitted), 10003
(``canTrade: false``) and 10004 (inactive: listed only with ``onlyActiveAccounts: false``);
``solo@example.com`` owns 20001. Contracts (tickSize/tickValue, market price):
``CON.F.US.MNQ.H25`` 0.25/0.5 21600, ``CON.F.US.ENQ.H25`` 0.25/5 21600, ``CON.F.US.MES.H25``
0.25/1.25 6065.25, ``CON.F.US.MGC.J25`` 0.1/1 2917.4, ``CON.F.US.CLE.H25`` 0.01/10 71.35 and the
inactive ``CON.F.US.MNQ.Z24``. Every fill costs 0.37 per contract (``fees``), taken from the
balance; a closing fill books ``(exit - average) * size * tickValue / tickSize`` into it. Money and
prices are JSON numbers with nine fraction digits; ids are integers.

Routes (sheet §2, §18): ``GET /api/Status/ping`` → ``pong`` (no auth). Everything else is POST
with a JSON body: ``Auth/loginKey`` ``{userName, apiKey}`` → ``token`` (HS256 JWT with ``exp``);
``Auth/validate`` (Bearer, no body) → ``newToken``; ``Auth/logout``; ``Account/search``
``{onlyActiveAccounts}`` (balance only: no equity, margin or currency); ``Contract/search``
``{searchText, live}`` (substring of id, name or description, at most 20: "NQ" also finds
MNQ), ``Contract/searchById`` ``{contractId}``, ``Contract/available`` ``{live}``;
``History/retrieveBars`` (synthetic bars on the tick grid, **newest first**, the forming bar only
with ``includePartialBar``, closing at the market price; units 1 s, 2 min, 3 h, 4 day, 5 week,
6 month (30 days), 7 tick (1 s)); ``Order/search`` ``{accountId, startTimestamp,
endTimestamp?}`` (oldest first),
``Order/searchOpen`` (Open/Pending/PendingCancellation: **not** Suspended bracket legs),
``Order/searchById`` ``{accountId, orderId}`` → ``order``, ``Order/v2/query`` ``{filter:
{accountId, statuses?, contractId?, createdAfter?, createdBefore?}, pageSize (100), pageOffset,
sortDirection (0 oldest first, else newest first), includeTotalCount}``; ``Order/place``,
``Order/modify`` ``{accountId, orderId, size?, limitPrice?, stopPrice?, trailPrice?}``,
``Order/cancel`` ``{accountId, orderId}``; ``Position/searchOpen``, ``Position/closeContract``
``{accountId, contractId}``, ``Position/partialCloseContract`` ``{..., size}``;
``Trade/search`` ``{accountId, startTimestamp, endTimestamp?}`` (``profitAndLoss`` null on
opening half-turns; voided fills flagged). Unknown ``/api/`` paths → 404 empty; another method
→ 405.

Wire rules: a domain failure is HTTP 200 ``{<payload key>: null, "success": false, "errorCode":
n, "errorMessage": null}`` with the endpoint's code from sheet §12.3 (1 AccountNotFound for any
account the token's user does not own); a missing, unknown or expired Bearer token → 401 with an
empty body; a body that is not JSON, lacks a required field or has a wrong type → 400
``application/problem+json`` (``errors: {field: [...]}``); null optional fields are accepted.
Rate limits per token (§11): ``History/retrieveBars`` 50 per 30 s, every other authenticated
call (``validate`` and ``logout`` too) 200 per 60 s → 429 with an empty body (refused calls do
not count; login and ping are not counted).

Orders: place validates (codes) 1 account, 8 unknown / 9 inactive contract, 10 ``canTrade:
false``, 2 type 3 (StopLimit) or unknown type, side not 0/1, size < 1, a Limit without
``limitPrice``, Stop without ``stopPrice``, TrailingStop without ``trailPrice`` (an absolute price
turned into whole ticks from the market price, 1..1000 at placement; read back as the distance
``trailPrice`` and ``trailDistance`` ticks), ``trailPrice`` on another type, a bracket with a wrong
sign (long: SL < 0 < TP, short reversed), 0 ticks or type Market, and a repeated ``customTag`` on
the account (``duplicate_tag``). ``customTag`` is echoed on the order. Market orders fill at once
at the market price (position netted per contract, a trade recorded); Limit/Stop/Trailing/Join
orders stay Open and never trigger (JoinBid/JoinAsk rest at the market price). Brackets
(``stopLossBracket``/``takeProfitBracket`` ``{ticks, type}``) create child orders (opposite side,
same size, ``parentOrderId``; the take-profit's ``linkedOrderId`` is the stop) priced at entry +
ticks x tickSize: Suspended while the parent rests, Open once it fills; cancelling a resting parent
cancels its Suspended legs. Modify/cancel: 2 unknown order, 3 order not working, 6 for accounts in
``cancel_refused``. ``closeContract`` / ``partialCloseContract`` fill an opposite market order: 2
no position, 3 unknown / 4 inactive contract, 5 partial size < 1 or above the position, 8/9
``canTrade: false``. **Closing leaves the bracket legs working** (sheet §7: orphans stay).

Settings: ``token_lifetime`` (86400 s); ``login_code`` (None; e.g. 9 ApiSubscriptionNotFound, 10
ApiKeyAuthenticationDisabled, answered to valid credentials); ``login_failure_status`` (200; 401
or 400 → that status with an empty body instead of the code-3 envelope); ``validate_field``
``"newToken"`` | ``"token"``; ``validate_same_token`` (answer the same token, renewed);
``validate_expired`` (False: an expired token → code 3; True: renewed); unknown signature → code
1, a logged-out or expired-by-``expire_sessions`` token → code 2; ``validate_failure_status`` (200;
401 → empty 401); ``error_messages`` (False: ``errorMessage`` null; True: the code's name);
``rate_limit`` ((200, 60.0)); ``bars_rate_limit`` ((50, 30.0)); ``retry_after`` (None: no header;
0: seconds until the window frees; n: that value); ``live_data`` (False: ``live: true`` searches
answer ``[]`` and bars code 1); ``contract_by_id`` ``"contract"`` | ``"contracts"``;
``bar_extras`` (null ``d``/``k`` keys); ``timestamp_style`` ``"offset"``
(``2025-01-21T16:13:52.523293+00:00``) | ``"zulu"`` (``...52.5232930Z``, 7 digits);
``negative_short_size``; ``ping_quoted`` (``"pong"`` as JSON); ``duplicate_tag`` ``"reject"``
(code 2, nothing created; the sheet's assumption) | ``"accept"``; ``position_brackets`` (account
ids in Position-Brackets mode: a bracketed placement → code 2 **with** ``orderId`` of a Rejected
record); ``cancel_refused`` (account ids: cancel/modify → code 6); ``reject_codes`` ({route:
code}, e.g. ``{"Order/place": 5}`` outside trading hours: answered without acting);
``outcome_codes`` ({route: code}, e.g. ``{"Order/place": 6}`` OrderPending or 7 UnknownError:
the route **acts** and then answers that code, orderId null). Helpers: ``set_price(contract,
price)``, ``accounts`` (the book's accounts; ``balance`` settable), ``book`` (orders, positions,
trades). Faults from the sheet's §18.11 list that are generic: ``success:true`` without
``orderId`` (``sb.fault("/api/Order/place", after_execute=True, json={...})``), read stalls after
acting (``delay``/``drop`` with ``after_execute``), HTML 502/503, 429 after acting.

Every state object has ``reset()`` and a ``lock``; settings are plain attributes.
TradeLocker routes and settings (``sb.tradelocker``)
---------------------------------------------------
``shared/reference/tradelocker-api.md``. Two environments with their own users, accounts and
tokens, told apart by a path prefix standing in for the two real hosts: **demo** under
``/backend-api`` (also ``/demo/backend-api``), **live** under ``/live/backend-api``; a client's
origin is ``sb.url`` (or ``sb.url + "/demo"``) for demo and ``sb.url + "/live"`` for live, and
it appends ``/backend-api`` as the official client does. Seed: ``TL_USERS[env]`` (e-mail →
accountIds), password ``TL_PASSWORD``, ``server`` field ``TL_SERVER[env]``
(``SANDBOX-DEMO`` / ``SANDBOX-LIVE``). Demo ``trader@example.com``: 1000001 USD (accNum 1, one
EURUSD buy 0.10 and one GBPUSD buy-limit), 1000002 EUR (accNum **3**, one XAUUSD sell);
``solo@example.com``: 1000003 USD (flat). Live ``trader@example.com``: 2000001 USD (flat).
Instruments (``tradableInstrumentId`` name, INFO routes / TRADE route, lotSize): 278 EURUSD
9000+9001/9101 100000; 279 GBPUSD 9001/9101 100000; 316 XAUUSD 9001/9102 100; 901 BTCUSD
9001/9103 1; quotes as above.

Auth (bare objects, no envelope): ``POST /auth/jwt/token`` ``{email, password, server}`` → 201
``{accessToken, refreshToken, expireDate}`` (HS256 JWTs with ``exp``), bad credentials → 400
``{"statusCode", "message"}``; ``POST /auth/jwt/refresh`` ``{refreshToken}`` → 200 new pair
(both rotate, the old refresh token dies), else 401; ``GET /auth/jwt/all-accounts`` (Bearer, no
accNum) → ``{"accounts": [{id, name, currency, accNum, accountBalance, status}]}``, values as
strings.

Every ``/trade/*`` route needs ``Authorization: Bearer`` (else 401 ``s: "error"``) and the
``accNum`` header (missing → 400 ``{"s":"error","errmsg":"accNum header missing"}``; an accNum
that is not the user's, or does not own the path's ``{acct}`` → ``mismatch_status``). Answers
are ``{"s":"ok","d":...}``; errors ``{"s":"error","errmsg":...}``. Routes: ``GET /trade/config``
(column layouts, ``rateLimits``, ``limits``); ``GET /trade/accounts``; ``GET
/trade/accounts/{acct}/state`` (``d.accountDetailsData``: one flat 26-cell row),
``/positions``, ``/orders``, ``/ordersHistory``, ``/executions`` (positional rows in config
order; ``/orders`` and ``/ordersHistory`` filter ``from``/``to`` in ms on ``createdDate`` and
``tradableInstrumentId``), ``/instruments`` (objects with ``routes``); ``GET
/trade/instruments/{tid}?routeId=`` (``lotSize``, ``tickSize`` ranges, ``minLot``, ``maxLot``,
``lotStep``); ``GET /trade/quotes?tradableInstrumentId=&routeId=`` (``{ap,bp,as,bs}`` on a
working INFO route, ``d: {}`` on any other route, ``s: "error"`` on EURUSD's first INFO route);
``GET /trade/history?...&resolution=&from=&to=`` (``d.barDetails`` ``{t,o,h,l,c,v}``, ms;
``{"s":"no_data"}`` for an empty range); ``POST /trade/accounts/{acct}/orders`` → ``{"orderId":
"<digits>"}``; ``PATCH|DELETE /trade/orders/{id}`` (also ``DELETE
/trade/accounts/{acct}/orders/{id}``); ``PATCH /trade/positions/{id}`` (``stopLoss``/
``takeProfit`` + types; null removes); ``DELETE /trade/positions/{id}`` (JSON ``{"qty": "0.04"}``;
``"0"`` or no body = all); ``DELETE /trade/accounts/{acct}/positions|orders`` (bulk, optional
``?tradableInstrumentId=``). Unknown paths → 404 HTML, other methods → 405.

Trading: ``qty`` in lots (string or number), checked against minLot/maxLot/lotStep; ``routeId``
must be the TRADE route; ``validity`` ``IOC`` for market, ``GTC`` for limit/stop; ``strategyId``
≤ 31 characters, kept on the order, its position, history and protective orders, never
de-duplicated. Business rejections → **HTTP 200** ``s: "error"`` (and nothing is stored); a
body that is not an order → 400. A market order fills at once (buy at ask) into a new position
whose id differs from the order id; the order moves to history ``Filled`` with ``positionId``.
Stop-loss / take-profit become working ``stop``/``limit`` orders named by the position's
``stopLossId``/``takeProfitId``. Closing books the P/L into the balance and leaves a ``Filled``
closing order (``isOpen`` false) in history. Unknown order/position id → 404 ``s: "error"``;
cancelling a final order → 200 ``s: "error"``.

Settings: ``access_lifetime`` (3600 s) / ``refresh_lifetime`` (7 days); ``login_status`` (201);
``login_error_status`` (400 | 401); ``mismatch_status`` (400 | 403); ``shuffle_columns``
(another column order plus an unknown ``sandboxExtra`` column); ``omit_columns`` (ids dropped
from configs and rows); ``extra_cells`` (unnamed trailing cells); ``cells_as_numbers``;
``accounts_as_numbers``; ``ids_as_strings`` (instrument list); ``status_upper`` (``FILLED``);
``bad_first_info_route`` (True); ``strict_resolutions`` (``15M`` refused instead of read as
fifteen months); ``enforce_rate_limits`` (**False**: client tests replace ``sleep``; when on,
``rate_limits`` — the same table ``/trade/config`` serves, route → ``(limit, intervalNum,
measure)`` — answer 429 per user and route); ``rate_limit_body`` ``"json"`` | ``"empty"``;
``retry_after`` (seconds for a ``Retry-After`` header on 429, default none); ``limits``;
``blocked_user_agents`` (fnmatch patterns → Cloudflare 403 ``error code: 1010``);
``reject_orders`` (text → every placement 200 ``s: "error"``); ``fill_delay`` (seconds a market
order stays working). Helpers: ``account(account_id, env="demo")`` (the state: ``balance``,
``positions``, ``orders``, ``history``), ``columns(config_key)``. Cloudflare challenge pages and
lost answers use the generic ``sb.cloudflare()`` / ``sb.fault(..., after_execute=True)``;
``sb.expire_sessions(refresh=...)`` and ``sb.reset()`` cover TradeLocker tokens and state too.

Both state objects have ``reset()`` and a ``lock``; settings are plain attributes.
"""

from .projectx_seed import PX_API_KEY, PX_USERS
from .seed import (
    DX_DOMAIN,
    DX_PASSWORD,
    DX_USERS,
    MT_BROKER_ID,
    MT_PASSWORD,
    MT_USERS,
)
from .server import Fault, Sandbox
from .tradelocker_seed import TL_PASSWORD, TL_SERVER, TL_USERS
from .wire import RecordedRequest

__all__ = [
    "DX_DOMAIN",
    "DX_PASSWORD",
    "DX_USERS",
    "MT_BROKER_ID",
    "MT_PASSWORD",
    "MT_USERS",
    "PX_API_KEY",
    "PX_USERS",
    "TL_PASSWORD",
    "TL_SERVER",
    "TL_USERS",
    "Fault",
    "RecordedRequest",
    "Sandbox",
]
