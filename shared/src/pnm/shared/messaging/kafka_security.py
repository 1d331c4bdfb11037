"""How every Kafka client of the project connects: the bootstrap address and the security
settings (TLS, SASL/SCRAM) from PNM_KAFKA_*, turned into client keyword arguments by ONE
function, so no producer, consumer or admin client can be built without them.

A setting that would be silently ignored (a CA file with a plaintext protocol, a username
without SASL) is refused: a deployment believing it talks TLS while it does not must not start.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any, Literal

from aiokafka.conn import create_conn
from aiokafka.errors import (
    IllegalSaslStateError,
    KafkaError,
    SaslAuthenticationFailed,
    UnsupportedSaslMechanismError,
)
from aiokafka.helpers import create_ssl_context
from aiokafka.protocol.metadata import MetadataRequest
from pydantic import FilePath, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
# SCRAM only: PLAIN sends the password itself to the broker, GSSAPI and OAUTHBEARER are not
# set up for this project.
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256"]


class KafkaSecurity(BaseSettings):
    """PNM_KAFKA_SECURITY_PROTOCOL, PNM_KAFKA_SASL_USERNAME, ... (see docs/kafka-security.md).
    One principal per process: every client of the process authenticates as it."""

    model_config = SettingsConfigDict(env_prefix="PNM_KAFKA_", extra="ignore")

    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    # The CA that signed the brokers' certificates; unset: the system's trusted CAs.
    ssl_cafile: FilePath | None = None
    # A client certificate, for brokers that require one (ssl.client.auth=required).
    ssl_certfile: FilePath | None = None
    ssl_keyfile: FilePath | None = None
    ssl_key_password: SecretStr | None = None
    ssl_check_hostname: bool = True

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol in ("SASL_PLAINTEXT", "SASL_SSL")

    @property
    def principal(self) -> str:
        """Who this process is to the broker, for logs and error messages (never the secret)."""
        return f"User:{self.sasl_username}" if self.uses_sasl else "User:ANONYMOUS"

    def describe(self) -> str:
        """`SASL_SSL, SCRAM-SHA-512` or `SSL`: how this process connects."""
        mechanism = f", {self.sasl_mechanism}" if self.uses_sasl else ""
        return self.security_protocol + mechanism

    @model_validator(mode="after")
    def _consistent(self) -> KafkaSecurity:
        protocol = f"PNM_KAFKA_SECURITY_PROTOCOL={self.security_protocol}"
        if self.uses_sasl:
            missing = [
                name
                for name, value in (
                    ("PNM_KAFKA_SASL_USERNAME", self.sasl_username),
                    ("PNM_KAFKA_SASL_PASSWORD", self.sasl_password),
                )
                if not value
            ]
            if missing:
                raise ValueError(f"{protocol} needs {' and '.join(missing)}")
        elif self.sasl_username or self.sasl_password:
            raise ValueError(f"SASL credentials are set but {protocol} does not use SASL")
        tls_files = [
            name
            for name, value in (
                ("PNM_KAFKA_SSL_CAFILE", self.ssl_cafile),
                ("PNM_KAFKA_SSL_CERTFILE", self.ssl_certfile),
                ("PNM_KAFKA_SSL_KEYFILE", self.ssl_keyfile),
                ("PNM_KAFKA_SSL_KEY_PASSWORD", self.ssl_key_password),
            )
            if value
        ]
        if tls_files and not self.uses_tls:
            raise ValueError(f"{', '.join(tls_files)} set but {protocol} does not use TLS")
        if self.ssl_keyfile and not self.ssl_certfile:
            raise ValueError("PNM_KAFKA_SSL_KEYFILE is set without PNM_KAFKA_SSL_CERTFILE")
        return self


def _ssl_context(security: KafkaSecurity) -> ssl.SSLContext:
    # The key password is always passed (empty when unset): without one, OpenSSL would prompt
    # on the terminal for an encrypted key and a service would hang instead of failing.
    password = security.ssl_key_password.get_secret_value() if security.ssl_key_password else ""
    context: ssl.SSLContext = create_ssl_context(
        cafile=_path(security.ssl_cafile),
        certfile=_path(security.ssl_certfile),
        keyfile=_path(security.ssl_keyfile),
        password=password if security.ssl_certfile else None,
    )
    # The certificate chain is always verified; only the name check can be turned off (brokers
    # reached by an address their certificate does not name).
    context.check_hostname = security.ssl_check_hostname
    return context


def _path(path: Path | None) -> str | None:
    return str(path) if path is not None else None


def kafka_client_options(bootstrap: str, security: KafkaSecurity) -> dict[str, Any]:
    """Keyword arguments for AIOKafkaProducer, AIOKafkaConsumer and AIOKafkaAdminClient."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "security_protocol": security.security_protocol,
    }
    if security.uses_tls:
        options["ssl_context"] = _ssl_context(security)
    if security.uses_sasl:
        assert security.sasl_password is not None  # the validator requires it
        options["sasl_mechanism"] = security.sasl_mechanism
        options["sasl_plain_username"] = security.sasl_username
        options["sasl_plain_password"] = security.sasl_password.get_secret_value()
    return options


class KafkaAccessRefused(RuntimeError):
    """The broker was reached but refused this process: wrong credentials, a mechanism it does
    not offer, a certificate that does not verify, or another security protocol than the
    listener's. Retrying cannot help; fix the settings."""


async def check_kafka_access(bootstrap: str, security: KafkaSecurity) -> None:
    """Raise KafkaAccessRefused, naming the principal and the reason, when the broker refuses
    these settings. A client only says "Unable to bootstrap" (the reason is in a log line);
    a service must stop at start with the reason instead. An unreachable broker is left to
    the clients, as before."""
    options = kafka_client_options(bootstrap, security)
    del options["bootstrap_servers"]
    for address in (a.strip() for a in bootstrap.split(",")):
        host, _, port = address.rpartition(":")
        refused = f"Kafka at {address} refused {security.principal} ({security.describe()})"
        try:
            connection = await create_conn(
                host.strip("[]"), int(port), request_timeout_ms=10_000, **options
            )
        except _REFUSALS as err:
            hint = "" if isinstance(err, _WRONG_SETTINGS) else f" {_MISMATCH}"
            raise KafkaAccessRefused(f"{refused}: {err!r}{hint}") from err
        except (OSError, TimeoutError):
            continue  # this address is down; another may answer
        try:
            # The first request past the handshake: a listener expecting SASL drops a client
            # that skipped it here, which a client would only report as "Unable to bootstrap".
            await connection.send(MetadataRequest([]))
        except (KafkaError, TimeoutError) as err:
            raise KafkaAccessRefused(f"{refused}: {err!r} {_MISMATCH}") from err
        finally:
            connection.close()
        return


# Retrying cannot help these: the credentials, the mechanism or the certificate are wrong, or
# the broker broke off the handshake (a client speaking SASL or TLS to a listener that does
# not, or the other way round).
_WRONG_SETTINGS = (SaslAuthenticationFailed, UnsupportedSaslMechanismError, ssl.SSLError)
_REFUSALS = (*_WRONG_SETTINGS, IllegalSaslStateError, ConnectionResetError)
_MISMATCH = "Does the listener expect another PNM_KAFKA_SECURITY_PROTOCOL?"
