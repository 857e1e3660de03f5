"""boto3 clients for the live commands, and AWS errors as one-line messages."""

from __future__ import annotations

from typing import Any

INSTALL_HINT = (
    "install the aws extra: pip install '<the byok wheel>[aws]' (or boto3 and cryptography)"
)


class LiveError(Exception):
    """A problem reaching AWS, said in one line (no traceback): exit 1."""


class Clients:
    """One boto3 session for one Region; clients are created once per service, and once per
    Region for the keys of stacks in other Regions (`at`)."""

    def __init__(self, region: str) -> None:
        try:
            import boto3
            from botocore.config import Config
        except ImportError as exc:  # the optional extra is not installed
            raise LiveError(f"boto3 is not installed: {INSTALL_HINT}") from exc
        self.region = region
        self._session = boto3.session.Session(region_name=region)
        self._config = Config(
            connect_timeout=10, read_timeout=60, retries={"max_attempts": 4, "mode": "standard"}
        )
        self._clients: dict[str, Any] = {}
        # operation -> why it is unavailable at this endpoint (asked once per run)
        self.unsupported: dict[str, str] = {}
        self.regions: dict[str, Clients] = {region: self}
        self.caller: str | None = None

    def at(self, region: str) -> Clients:
        """The clients of `region` (same credential chain)."""
        if region not in self.regions:
            self.regions[region] = Clients(region)
        return self.regions[region]

    def account(self) -> str:
        """The account of the credentials, asked once (STS GetCallerIdentity needs no
        permission: https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html)."""
        if self.caller is None:
            self.caller = str(self.client("sts").get_caller_identity()["Account"])
        return self.caller

    def client(self, service: str) -> Any:
        if service not in self._clients:
            made = self._session.client(service, config=self._config)
            made.meta.events.register("before-parse", _not_aws(made.meta.endpoint_url))
            self._clients[service] = made
        return self._clients[service]


def _not_aws(endpoint: str) -> Any:
    """A botocore `before-parse` hook: an HTML answer is never an AWS API response (AWS APIs
    answer in the XML or JSON of their protocol, which botocore parses), but a web server or
    proxy at a wrong `AWS_ENDPOINT_URL`. botocore would take the page for an error message,
    or fail inside its parser; say it in one line instead.

    The body decides, not the Content-Type: moto (`make sandbox`, the e2e tests) labels its
    JSON answers `text/html; charset=utf-8` (Flask's default). A `text/html` label refuses
    only a body that is neither JSON nor XML."""

    def hook(response_dict: dict[str, Any], operation_model: Any, **_: Any) -> None:
        # A server error (5xx) stays one: moto answers an operation it lacks (GetKeyLastUsage)
        # with an HTML 500 page, which the audit reports as unavailable. A proxy's 4xx page at a
        # wrong endpoint is still told as such.
        if int(response_dict.get("status_code") or 0) >= 500:
            return
        headers = response_dict.get("headers") or {}
        kind = str(headers.get("content-type") or headers.get("Content-Type") or "")
        body = bytes(response_dict.get("body") or b"")[:512].lstrip().lower()
        page = body.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))
        if page or (kind.startswith("text/html") and body and body[:1] not in (b"{", b"[", b"<")):
            raise LiveError(
                f"{endpoint} is not an AWS endpoint: it answered {operation_model.name} "
                f"with an HTML page (HTTP {response_dict.get('status_code', '?')}); "
                "check AWS_ENDPOINT_URL"
            )

    return hook


def not_aws_endpoint(url: str) -> bool:
    """True when `url` is not an AWS service endpoint (`*.amazonaws.com`, `*.amazonaws.com.cn`,
    `*.api.aws`): `AWS_ENDPOINT_URL` pointing at an emulator such as moto (`make sandbox`).

    >>> not_aws_endpoint("https://logs.us-east-1.amazonaws.com"), not_aws_endpoint("http://127.0.0.1:5000")
    (False, True)
    """
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower()
    return not host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".api.aws"))


def describe_error(exc: BaseException) -> str | None:
    """A one-line message for an AWS/botocore error, or None when `exc` is not one."""
    try:
        from botocore import exceptions as bx
    except ImportError:
        return None
    if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
        return (
            "no AWS credentials: set them through the standard chain (AWS_PROFILE, "
            "environment variables, SSO or an instance role)"
        )
    if isinstance(exc, bx.ClientError):
        err = exc.response.get("Error", {})
        op = getattr(exc, "operation_name", "a call")
        return f"AWS refused {op}: {err.get('Code', '?')}: {err.get('Message', '')}".rstrip(": ")
    if isinstance(exc, bx.BotoCoreError):
        return f"cannot reach AWS: {exc}"
    return None


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a ClientError (None for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code is not None else None
    return None
