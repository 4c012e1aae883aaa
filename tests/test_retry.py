"""RetryPolicy.call: the first attempt runs without tenacity, and a retryable failure then
enters tenacity with exactly the waits and stops that tenacity alone gave (the policy before
the fast path, kept here as the reference)."""

from __future__ import annotations

import pytest
import tenacity

import brokers
from brokers.retry import is_retryable


def reference_call(policy: brokers.RetryPolicy, fn):
    """The policy as it was: every call through tenacity."""
    retrying = tenacity.Retrying(
        stop=policy._stop,
        wait=policy._wait,
        retry=tenacity.retry_if_exception(is_retryable),
        sleep=policy.sleep,
        reraise=True,
    )
    return retrying(fn)


def server_error(retry_after=None, status=503):
    return brokers.ServerError("down", status=status, retry_after=retry_after)


def network_error():
    return brokers.NetworkError("the connection was reset")


def tls_error():
    error = brokers.NetworkError("TLS verification failed")
    error.retryable = False
    return error


# Each script: what the attempts raise in turn (then "ok"), with the policy's settings.
SCRIPTS = {
    "success at once": ({}, []),
    "503 then success": ({}, [server_error()]),
    "503 every time": ({}, [server_error()] * 5),
    "network errors then success": ({"attempts": 4}, [network_error(), network_error()]),
    "Retry-After honoured": ({}, [server_error(retry_after=2.5)]),
    "Retry-After past the cap": ({}, [server_error(retry_after=120)]),
    "429 then 503": (
        {},
        [brokers.RateLimitError("slow down", status=429, retry_after=1), server_error()],
    ),
    "500 is not retried": ({}, [server_error(status=500)]),
    "TLS failure is not retried": ({}, [tls_error()]),
    "client-side throttle refusal": ({}, [brokers.RateLimitError("throttled")]),
    "retryable, then not": ({}, [server_error(), brokers.RequestRejectedError("no")]),
    "max_wait cuts the waits": (
        {"attempts": 20, "backoff": 3, "max_backoff": 3, "max_wait": 10},
        [server_error()] * 30,
    ),
    "retries disabled": ({"attempts": 1}, [server_error()]),
    "a bug is raised as is": ({}, [KeyError("x")]),
}


def run(call, settings, failures):
    """Sleeps, attempts and outcome of ``call`` (the fast path or the reference)."""
    sleeps: list[float] = []
    policy = brokers.RetryPolicy(jitter=0, sleep=sleeps.append, **settings)
    attempts = []

    def attempt():
        attempts.append(len(attempts))
        if len(attempts) <= len(failures):
            raise failures[len(attempts) - 1]
        return "ok"

    try:
        outcome = call(policy, attempt)
    except Exception as exc:  # the very object the attempt raised
        outcome = exc
    return sleeps, len(attempts), outcome


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_the_fast_path_retries_exactly_as_tenacity_alone(name):
    settings, failures = SCRIPTS[name]
    ours = run(brokers.RetryPolicy.call, settings, failures)
    reference = run(reference_call, settings, failures)
    assert ours == reference
    assert ours[2] == "ok" or ours[2] in failures  # the error itself, not a wrapper


def test_a_success_never_builds_a_tenacity_retrying(monkeypatch):
    def no_tenacity(*args, **kwargs):
        raise AssertionError("tenacity entered on a success")

    monkeypatch.setattr(tenacity, "Retrying", no_tenacity)
    policy = brokers.RetryPolicy(sleep=lambda s: None)
    assert policy.call(lambda: "ok") == "ok"
    error = brokers.RequestRejectedError("no")
    with pytest.raises(brokers.RequestRejectedError) as caught:  # not retryable: no tenacity
        policy.call(lambda: (_ for _ in ()).throw(error))
    assert caught.value is error


def test_a_retry_after_a_fast_failure_sleeps_and_repeats(sleeps):
    policy = brokers.RetryPolicy(attempts=3, backoff=0.5, jitter=0, sleep=sleeps)
    answers = iter([network_error(), "ok"])

    def attempt():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert policy.call(attempt) == "ok"
    assert sleeps == [0.5]
