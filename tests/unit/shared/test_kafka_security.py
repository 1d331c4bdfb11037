"""Kafka client security settings: what PNM_KAFKA_* turns into for every client, and the
settings that are refused because they would be silently ignored or would hang a service."""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from pnm.shared.messaging.kafka_security import KafkaSecurity, kafka_client_options

BOOTSTRAP = "broker-1:9093,broker-2:9093"


def write_certificate(directory: Path, key_password: bytes | None = None) -> tuple[Path, Path]:
    """A self-signed certificate and its key (PEM), as a CA file or a client certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pnm-test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(key_password)
        if key_password
        else serialization.NoEncryption()
    )
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )
    return cert_path, key_path


def test_unset_is_plaintext_without_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SECURITY_PROTOCOL", "SASL_USERNAME", "SASL_PASSWORD", "SSL_CAFILE"):
        monkeypatch.delenv(f"PNM_KAFKA_{name}", raising=False)
    assert kafka_client_options(BOOTSTRAP, KafkaSecurity()) == {
        "bootstrap_servers": BOOTSTRAP,
        "security_protocol": "PLAINTEXT",
    }


def test_scram_over_tls_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ca, _ = write_certificate(tmp_path)
    monkeypatch.setenv("PNM_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("PNM_KAFKA_SASL_MECHANISM", "SCRAM-SHA-256")
    monkeypatch.setenv("PNM_KAFKA_SASL_USERNAME", "pnm-matcher")
    monkeypatch.setenv("PNM_KAFKA_SASL_PASSWORD", "s3cret-value")
    monkeypatch.setenv("PNM_KAFKA_SSL_CAFILE", str(ca))

    options = kafka_client_options(BOOTSTRAP, KafkaSecurity())

    context = options.pop("ssl_context")
    assert options == {
        "bootstrap_servers": BOOTSTRAP,
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-256",
        "sasl_plain_username": "pnm-matcher",
        "sasl_plain_password": "s3cret-value",
    }
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "pnm-test"),),)]


def test_hostname_check_can_be_turned_off_but_not_the_chain(tmp_path: Path) -> None:
    ca, _ = write_certificate(tmp_path)
    security = KafkaSecurity(security_protocol="SSL", ssl_cafile=ca, ssl_check_hostname=False)
    context = kafka_client_options(BOOTSTRAP, security)["ssl_context"]
    assert not context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED


def test_client_certificate_with_an_encrypted_key(tmp_path: Path) -> None:
    cert, key = write_certificate(tmp_path, key_password=b"key-pass")
    good = KafkaSecurity(
        security_protocol="SSL",
        ssl_certfile=cert,
        ssl_keyfile=key,
        ssl_key_password="key-pass",
    )
    assert isinstance(kafka_client_options(BOOTSTRAP, good)["ssl_context"], ssl.SSLContext)
    # Without its password the key is refused at once (OpenSSL would otherwise prompt on the
    # terminal and the service would hang).
    missing = KafkaSecurity(security_protocol="SSL", ssl_certfile=cert, ssl_keyfile=key)
    with pytest.raises(ssl.SSLError):
        kafka_client_options(BOOTSTRAP, missing)


def test_the_password_is_never_shown() -> None:
    security = KafkaSecurity(
        security_protocol="SASL_PLAINTEXT",
        sasl_username="pnm-holds",
        sasl_password="do-not-print-me",
    )
    assert "do-not-print-me" not in repr(security)
    assert "do-not-print-me" not in str(security.model_dump())
    assert security.principal == "User:pnm-holds"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"security_protocol": "SASL_SSL"}, "needs PNM_KAFKA_SASL_USERNAME and PNM_KAFKA_SASL"),
        (
            {"security_protocol": "SASL_PLAINTEXT", "sasl_username": "u"},
            "needs PNM_KAFKA_SASL_PASSWORD",
        ),
        ({"sasl_username": "u", "sasl_password": "p"}, "PLAINTEXT does not use SASL"),
        ({"security_protocol": "SSL", "sasl_username": "u"}, "SSL does not use SASL"),
        ({"ssl_cafile": "CA"}, "PNM_KAFKA_SSL_CAFILE set but PNM_KAFKA_SECURITY_PROTOCOL=PLAIN"),
        (
            {"security_protocol": "SASL_PLAINTEXT", "sasl_username": "u", "sasl_password": "p"}
            | {"ssl_cafile": "CA"},
            "SASL_PLAINTEXT does not use TLS",
        ),
        ({"security_protocol": "SSL", "ssl_keyfile": "CA"}, "KEYFILE is set without"),
        ({"security_protocol": "SSL", "ssl_cafile": "missing.pem"}, "ssl_cafile"),
        ({"security_protocol": "SASL_SSL", "sasl_mechanism": "PLAIN"}, "sasl_mechanism"),
        ({"security_protocol": "TLS"}, "security_protocol"),
    ],
)
def test_inconsistent_settings_are_refused(
    tmp_path: Path, settings: dict[str, str], message: str
) -> None:
    ca, _ = write_certificate(tmp_path)
    values = {k: str(ca) if v == "CA" else v for k, v in settings.items()}
    with pytest.raises(ValidationError, match=message):
        KafkaSecurity(**values)  # type: ignore[arg-type]


async def test_standalone_does_not_read_the_kafka_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from pnm.cli.services import ALL
    from pnm.shared.runtime import Pipeline

    # Inconsistent for Kafka (credentials without SASL), irrelevant in-process.
    monkeypatch.setenv("PNM_KAFKA_SASL_USERNAME", "pnm-matcher")
    pipeline = Pipeline(
        list(ALL.values()),
        database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none",  # never connected
        transport="inprocess",
    )
    await pipeline.engine.dispose()
    with pytest.raises(ValidationError, match="does not use SASL"):
        KafkaSecurity()
